// How a lease is granted: whether the client keeps it alive by itself, and, for callers that
// retry a grant themselves, the idempotency key that makes the retry name the same lease.

namespace KvDb.Client;

/// <summary>Options of <see cref="KvClient.GrantLeaseAsync"/>.</summary>
public sealed class KvLeaseOptions
{
    /// <summary>
    /// Keep the lease alive in the background (a keep-alive every third of the TTL, through any
    /// member) until the <see cref="KvLease"/> is disposed, revoked or detached. Default true.
    /// </summary>
    public bool KeepAlive { get; init; } = true;

    /// <summary>
    /// The <c>Idempotency-Key</c> of the grant; null (the default) for a new GUID. kvdb derives the
    /// lease id from it, so a grant retried with the same key (within 15 minutes) names the same lease.
    /// </summary>
    public string? IdempotencyKey { get; init; }
}
