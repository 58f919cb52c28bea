// Lease commands as they travel through the Raft log. Expiry is not a clock on any member: the
// leader decides a lease has run out (by its own monotonic clock) and proposes its revocation,
// so every member deletes the same keys at the same point of the log.
using KvDb.Core.Commands;
using MessagePack;

namespace KvDb.Core.Leases;

/// <summary>Grants lease <see cref="Id"/> with a time to live of <see cref="TtlMs"/>.</summary>
[MessagePackObject]
public sealed class GrantLeaseCommand : KvCommand
{
    /// <summary>The lease's id, chosen by the proposer (positive, below 2^53 so JSON clients keep it exact).</summary>
    [Key(0)]
    public long Id { get; init; }

    /// <summary>Its time to live in milliseconds.</summary>
    [Key(1)]
    public long TtlMs { get; init; }

    /// <summary>A client-chosen key that makes retries of this command exactly-once.</summary>
    [Key(2)]
    public string? IdempotencyKey { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 32 + (IdempotencyKey?.Length ?? 0);

    /// <inheritdoc/>
    public override string? Validate() => Id <= 0 || TtlMs <= 0 ? "a lease grant without a positive id and TTL" : null;
}

/// <summary>Revokes lease <see cref="Id"/>: deletes every key attached to it and the lease, in one entry.</summary>
[MessagePackObject]
public sealed class RevokeLeaseCommand : KvCommand
{
    /// <summary>The lease's id.</summary>
    [Key(0)]
    public long Id { get; init; }

    /// <summary>True when the leader revokes it because it expired, false when a client revoked it.</summary>
    [Key(1)]
    public bool Expired { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 24;

    /// <inheritdoc/>
    public override string? Validate() => Id <= 0 ? "a lease revocation without a positive id" : null;
}
