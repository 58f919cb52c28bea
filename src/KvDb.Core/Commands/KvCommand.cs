// A command is one client mutation (or membership change) as it travels through the Raft log.
// Invariants:
//  - Union tags are part of the on-disk format: never renumber one, only add new tags.
//  - Fields are addressed by integer keys so that new optional fields can be appended
//    without breaking entries written by older members.
//  - Commands are plain data: what applying one does is decided by CommandExecutor, the same
//    way on every member, from the log alone.
using KvDb.Core.Auth;
using MessagePack;

namespace KvDb.Core.Commands;

/// <summary>A state machine command carried by a Raft log entry.</summary>
[Union(0, typeof(PutCommand))]
[Union(1, typeof(DeleteCommand))]
[Union(2, typeof(BootstrapMembersCommand))]
[Union(3, typeof(SetMemberCommand))]
[Union(4, typeof(RemoveMemberCommand))]
[Union(5, typeof(PutUserCommand))]
[Union(6, typeof(DeleteUserCommand))]
[Union(7, typeof(PutRoleCommand))]
[Union(8, typeof(DeleteRoleCommand))]
[Union(9, typeof(SetUserRoleCommand))]
[Union(10, typeof(SetAuthCommand))]
[Union(11, typeof(KvDb.Core.Transactions.TxnCommand))]
[Union(12, typeof(KvDb.Core.Leases.GrantLeaseCommand))]
[Union(13, typeof(KvDb.Core.Leases.RevokeLeaseCommand))]
[Union(14, typeof(KvDb.Core.Lists.CreateKeyspaceCommand))]
[Union(15, typeof(KvDb.Core.Lists.DeleteKeyspaceCommand))]
[Union(16, typeof(KvDb.Core.Lists.AppendCommand))]
public abstract class KvCommand
{
    /// <summary>The number of bytes the command occupies roughly; used to bound batch sizes.</summary>
    [IgnoreMember]
    public abstract int ApproximateSize { get; }

    /// <summary>Why the command is malformed (missing fields), or null when it is well formed.</summary>
    public abstract string? Validate();
}

/// <summary>A command that acts on one user key.</summary>
public abstract class KeyCommand : KvCommand
{
    /// <summary>The key the command acts on (UTF-8 bytes of the user's key).</summary>
    [Key(0)]
    public required byte[] Key { get; init; }

    /// <inheritdoc/>
    public override string? Validate() => Key is null or { Length: 0 } ? "a key command without a key" : null;
}

/// <summary>Stores <see cref="Value"/> under <see cref="KeyCommand.Key"/>, replacing any previous value.</summary>
[MessagePackObject]
public sealed class PutCommand : KeyCommand
{
    /// <summary>The value bytes: raw, or a typed value in <c>TypedValueCodec</c>'s form (see <see cref="Kind"/>).</summary>
    [Key(1)]
    public required byte[] Value { get; init; }

    /// <summary>What <see cref="Value"/> holds.</summary>
    [Key(2)]
    public ValueKind Kind { get; init; }

    /// <summary>A condition on the key's current state, checked when the command is applied.</summary>
    [Key(3)]
    public Precondition? Condition { get; init; }

    /// <summary>A client-chosen key that makes retries of this command exactly-once.</summary>
    [Key(4)]
    public string? IdempotencyKey { get; init; }

    /// <summary>The lease to attach the key to (0: none; a put without a lease detaches the key from its lease).</summary>
    [Key(5)]
    public long Lease { get; init; }

    /// <summary>When above 0: first grant <see cref="Lease"/> with this TTL, in the same entry (a key with a TTL).</summary>
    [Key(6)]
    public long GrantTtlMs { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => Key.Length + Value.Length + 48 + (IdempotencyKey?.Length ?? 0);

    /// <inheritdoc/>
    public override string? Validate() => base.Validate() ?? (Value is null ? "a put without a value" : null);
}

/// <summary>Removes <see cref="KeyCommand.Key"/>.</summary>
[MessagePackObject]
public sealed class DeleteCommand : KeyCommand
{
    /// <summary>A condition on the key's current state, checked when the command is applied.</summary>
    [Key(1)]
    public Precondition? Condition { get; init; }

    /// <summary>A client-chosen key that makes retries of this command exactly-once.</summary>
    [Key(2)]
    public string? IdempotencyKey { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => Key.Length + 32 + (IdempotencyKey?.Length ?? 0);
}

/// <summary>What a stored value's payload is.</summary>
public enum ValueKind : byte
{
    /// <summary>Raw bytes, as PUT through the kv-db and /v1 APIs.</summary>
    Raw = 0,

    /// <summary>A typed value of the S2 API, in <c>TypedValueCodec</c>'s MessagePack form.</summary>
    Typed = 1,
}

/// <summary>
/// A condition on a key's state at the moment a write is applied (HTTP If-Match / If-None-Match):
/// optimistic locking that holds across members because every member checks it at the same
/// point of the log.
/// </summary>
[MessagePackObject]
public sealed class Precondition
{
    /// <summary>The key must exist with exactly this revision (If-Match: "revision").</summary>
    [Key(0)]
    public long? Revision { get; init; }

    /// <summary>The key must not exist (If-None-Match: *).</summary>
    [Key(1)]
    public bool MustNotExist { get; init; }

    /// <summary>The key must exist, whatever its revision (If-Match: *).</summary>
    [Key(2)]
    public bool MustExist { get; init; }

    /// <summary>Whether a key currently at <paramref name="currentRevision"/> (0 = absent) satisfies the condition.</summary>
    public bool IsSatisfiedBy(long currentRevision)
        => (Revision is not { } expected || expected == currentRevision)
           && (!MustNotExist || currentRevision == 0)
           && (!MustExist || currentRevision != 0);
}

/// <summary>
/// Records the initial members (ids 1..N in <c>--cluster</c> order) when the membership map is
/// still empty; a no-op once any member is recorded. The first leader proposes it. With a
/// <see cref="ClusterId"/> it also names the cluster, once: a cluster bootstrapped by an older
/// release (members recorded, no id) gets its id from the same command, members untouched.
/// </summary>
[MessagePackObject]
public sealed class BootstrapMembersCommand : KvCommand
{
    /// <summary>The peer URLs of members 1..N.</summary>
    [Key(0)]
    public required string[] PeerUrls { get; init; }

    /// <summary>The cluster id to record when the cluster has none yet (null from older releases).</summary>
    [Key(1)]
    public string? ClusterId { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 16 + PeerUrls.Sum(static u => u.Length + 4);

    /// <inheritdoc/>
    public override string? Validate()
        => PeerUrls is null or { Length: 0 } || Array.IndexOf(PeerUrls, null) >= 0 ? "a bootstrap without member URLs" : null;
}

/// <summary>Maps member <see cref="Id"/> to <see cref="PeerUrl"/>; refused when either is taken by another member.</summary>
[MessagePackObject]
public sealed class SetMemberCommand : KvCommand
{
    /// <summary>The member's positive numeric id.</summary>
    [Key(0)]
    public required int Id { get; init; }

    /// <summary>The member's Raft peer URL, <c>http://host:port</c>.</summary>
    [Key(1)]
    public required string PeerUrl { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 16 + PeerUrl.Length;

    /// <inheritdoc/>
    public override string? Validate() => Id <= 0 || PeerUrl is null ? "a member without a positive id and a URL" : null;
}

/// <summary>Removes member <see cref="Id"/> from the membership map.</summary>
[MessagePackObject]
public sealed class RemoveMemberCommand : KvCommand
{
    /// <summary>The member's id.</summary>
    [Key(0)]
    public required int Id { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 16;

    /// <inheritdoc/>
    public override string? Validate() => Id <= 0 ? "a member removal without a positive id" : null;
}
