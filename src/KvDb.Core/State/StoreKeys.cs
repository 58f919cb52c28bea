// How the state machine lays out its state in one ordered byte-keyed store.
// Invariants:
//  - Every stored key starts with a one-byte namespace, so user keys (any bytes) can never
//    collide with kvdb's own records, and each namespace is one contiguous key range.
//  - Member ids are stored big-endian so the member range iterates in id order.
using System.Buffers.Binary;

namespace KvDb.Core.State;

/// <summary>Namespaces and key encodings of the state machine's store.</summary>
public static class StoreKeys
{
    /// <summary>Namespace of user keys: <c>'k' + user key</c>.</summary>
    public const byte User = (byte)'k';

    /// <summary>Namespace of the membership map: <c>'m' + id (int32, big-endian)</c> → peer URL (UTF-8).</summary>
    public const byte Member = (byte)'m';

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

    /// <summary>The member id encoded in a member store key.</summary>
    public static int MemberId(ReadOnlySpan<byte> storedKey) => BinaryPrimitives.ReadInt32BigEndian(storedKey[1..]);

    /// <summary>The first key of namespace <paramref name="space"/>.</summary>
    public static byte[] Start(byte space) => [space];

    /// <summary>The first key after namespace <paramref name="space"/> (exclusive end of its range).</summary>
    public static byte[] End(byte space) => [(byte)(space + 1)];
}
