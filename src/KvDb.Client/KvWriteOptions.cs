// Per-write settings: the condition, the lease a put attaches its key to (an existing one, or
// one granted with the key in the same log entry) and, for callers that retry a logical write
// themselves (e.g. across a process restart), the idempotency key to reuse.
// Invariant: Lease and Ttl are for puts only, and not both (the client checks before sending).

namespace KvDb.Client;

/// <summary>Options of one put or delete.</summary>
public sealed class KvWriteOptions
{
    /// <summary>The condition the write must meet (default <see cref="WriteCondition.None"/>).</summary>
    public WriteCondition Condition { get; init; }

    /// <summary>
    /// The <c>Idempotency-Key</c> of this logical write, 1 to 255 visible ASCII characters; null
    /// (the default) for a new GUID. The client sends the same key on each of its own retries, so
    /// a write is applied once; pass the key of <see cref="KvUnavailableException.IdempotencyKey"/>
    /// to retry a write whose outcome is unknown. kvdb remembers keys for 15 minutes.
    /// </summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>
    /// Attach the key to this lease (<c>?lease=</c>): the key is deleted when the lease is revoked
    /// or expires. Null (the default) for none; a put without a lease detaches the key from the
    /// lease it had. Puts only. A lease that does not exist fails the put with
    /// <see cref="KvLeaseNotFoundException"/>, and nothing is written.
    /// </summary>
    public long? Lease { get; init; }

    /// <summary>
    /// Grant a new lease of this TTL (1 s to 7 days) and attach the key to it in the same log entry
    /// (<c>?ttl=</c>): the key is deleted after the TTL unless the lease is kept alive. Puts only;
    /// not with <see cref="Lease"/>. A retry with the same <see cref="IdempotencyKey"/> names the same lease.
    /// To keep the key alive or revoke it, grant the lease with <see cref="KvClient.GrantLeaseAsync"/> and use <see cref="Lease"/> instead.
    /// </summary>
    public TimeSpan? Ttl { get; init; }

    /// <summary>Options with only <paramref name="condition"/>.</summary>
    public static KvWriteOptions When(WriteCondition condition) => new() { Condition = condition };

    /// <summary>Options that attach the key to <paramref name="lease"/>.</summary>
    /// <param name="lease">A lease id, e.g. <see cref="KvLease.Id"/>.</param>
    public static KvWriteOptions WithLease(long lease) => new() { Lease = lease };

    /// <summary>The <c>lease=</c> or <c>ttl=</c> query of a put; null for neither.</summary>
    /// <exception cref="ArgumentException">Both are set, the lease is not positive, or the TTL is out of range.</exception>
    internal string? LeaseQuery()
    {
        if (Lease is not null && Ttl is not null)
            throw new ArgumentException("KvWriteOptions.Lease and Ttl cannot both be set: attach the key to an existing lease, or grant a new one.", "options");
        if (Lease is { } lease)
        {
            if (lease <= 0)
                throw new ArgumentException("KvWriteOptions.Lease must be a lease id (positive).", "options");
            return "lease=" + lease.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return Ttl is { } ttl ? "ttl=" + LeaseTtl.Format(ttl, "options") : null;
    }
}
