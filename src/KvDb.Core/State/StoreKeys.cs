// How the state machine lays out its state in one ordered byte-keyed store.
// Invariants:
//  - Every stored key starts with a one-byte namespace, so user keys (any bytes) can never
//    collide with kvdb's own records, and each namespace is one contiguous key range.
//  - Member ids and expiry times are stored big-endian so their ranges iterate in order.
using System.Buffers.Binary;
using System.Text;

namespace KvDb.Core.State;

/// <summary>Namespaces and key encodings of the state machine's store.</summary>
public static class StoreKeys
{
    /// <summary>Namespace of user keys: <c>'k' + user key</c>.</summary>
    public const byte User = (byte)'k';

    /// <summary>Namespace of the membership map: <c>'m' + id (int32, big-endian)</c> → peer URL (UTF-8).</summary>
    public const byte Member = (byte)'m';

    /// <summary>Namespace of members' advertised releases: <c>'v' + id (int32, big-endian)</c> → <see cref="KvDb.Core.Membership.MemberRelease"/>.</summary>
    public const byte Release = (byte)'v';

    /// <summary>Namespace of remembered idempotency keys: <c>'i' + key (UTF-8)</c> → <see cref="IdempotencyRecord"/>.</summary>
    public const byte Idempotency = (byte)'i';

    /// <summary>Expiry index of idempotency keys: <c>'e' + proposed-at (int64, big-endian) + key</c> → empty.</summary>
    public const byte IdempotencyExpiry = (byte)'e';

    /// <summary>Namespace of users, roles and auth settings (see <c>AuthState</c>).</summary>
    public const byte Auth = (byte)'a';

    /// <summary>Namespace of the change history: <c>'h' + revision (int64, big-endian)</c> → ChangeRecord (see <c>ChangeHistory</c>).</summary>
    public const byte History = (byte)'h';

    /// <summary>Namespace of leases: <c>'L' + id (int64, big-endian)</c> → TTL ms, granted-at index (int64 little-endian each).</summary>
    public const byte Lease = (byte)'L';

    /// <summary>Keys attached to leases: <c>'A' + lease id (int64, big-endian) + user key</c> → empty.</summary>
    public const byte LeaseAttachment = (byte)'A';

    /// <summary>kvdb's own counters: <c>'s' + name</c> → value.</summary>
    public const byte Counters = (byte)'s';

    /// <summary>The number of remembered idempotency keys (int64, little-endian).</summary>
    public static readonly byte[] IdempotencyCount = [Counters, .. "idempotency-count"u8];

    /// <summary>The store key of lease <paramref name="id"/>.</summary>
    public static byte[] ForLease(long id)
    {
        var key = new byte[1 + sizeof(long)];
        key[0] = Lease;
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(1), id);
        return key;
    }

    /// <summary>The attachment of <paramref name="userKey"/> to lease <paramref name="id"/>; with an empty key, the start of the lease's attachments.</summary>
    public static byte[] ForAttachment(long id, ReadOnlySpan<byte> userKey)
    {
        var key = new byte[1 + sizeof(long) + userKey.Length];
        key[0] = LeaseAttachment;
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(1), id);
        userKey.CopyTo(key.AsSpan(1 + sizeof(long)));
        return key;
    }

    /// <summary>The lease id a lease or attachment store key names.</summary>
    public static long LeaseId(ReadOnlySpan<byte> storedKey) => BinaryPrimitives.ReadInt64BigEndian(storedKey[1..]);

    /// <summary>The store key of user key <paramref name="key"/>.</summary>
    public static byte[] ForUser(ReadOnlySpan<byte> key)
    {
        var stored = new byte[key.Length + 1];
        stored[0] = User;
        key.CopyTo(stored.AsSpan(1));
        return stored;
    }

    /// <summary>The store key of member <paramref name="id"/>.</summary>
    public static byte[] ForMember(int id)
    {
        var stored = new byte[1 + sizeof(int)];
        stored[0] = Member;
        BinaryPrimitives.WriteInt32BigEndian(stored.AsSpan(1), id);
        return stored;
    }

    /// <summary>The store key of member <paramref name="id"/>'s advertised release.</summary>
    public static byte[] ForRelease(int id)
    {
        var stored = ForMember(id);
        stored[0] = Release;
        return stored;
    }

    /// <summary>The store key of remembered idempotency key <paramref name="key"/>.</summary>
    public static byte[] ForIdempotency(string key)
    {
        var stored = new byte[1 + Encoding.UTF8.GetByteCount(key)];
        stored[0] = Idempotency;
        Encoding.UTF8.GetBytes(key, stored.AsSpan(1));
        return stored;
    }

    /// <summary>The expiry-index key of idempotency key <paramref name="key"/> remembered at <paramref name="proposedAtUnixMs"/>.</summary>
    public static byte[] ForIdempotencyExpiry(long proposedAtUnixMs, string key)
    {
        var stored = new byte[1 + sizeof(long) + Encoding.UTF8.GetByteCount(key)];
        stored[0] = IdempotencyExpiry;
        BinaryPrimitives.WriteInt64BigEndian(stored.AsSpan(1), long.Max(0, proposedAtUnixMs));
        Encoding.UTF8.GetBytes(key, stored.AsSpan(1 + sizeof(long)));
        return stored;
    }

    /// <summary>The proposed-at time and idempotency key encoded in an expiry-index key.</summary>
    public static (long ProposedAtUnixMs, string Key) ParseIdempotencyExpiry(ReadOnlySpan<byte> storedKey)
        => (BinaryPrimitives.ReadInt64BigEndian(storedKey[1..]), Encoding.UTF8.GetString(storedKey[(1 + sizeof(long))..]));

    /// <summary>The member id encoded in a member store key.</summary>
    public static int MemberId(ReadOnlySpan<byte> storedKey) => BinaryPrimitives.ReadInt32BigEndian(storedKey[1..]);

    /// <summary>The first key of namespace <paramref name="space"/>.</summary>
    public static byte[] Start(byte space) => [space];

    /// <summary>The first key after namespace <paramref name="space"/> (exclusive end of its range).</summary>
    public static byte[] End(byte space) => [(byte)(space + 1)];
}
