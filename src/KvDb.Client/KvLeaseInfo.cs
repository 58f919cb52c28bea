// A lease as GET /v1/leases/{id} (or the list, GET /v1/leases) describes it.
// Invariant: Ttl is the TTL it was granted with; Remaining is the leader's count down since the
// last keep-alive, null when no leader could say (or in a list, which does not ask). With auth
// on, a user sees only its own leases (root: all), and Keys only the keys the user may read.

namespace KvDb.Client;

/// <summary>A lease: its TTL, the time it has left and the keys attached to it.</summary>
public sealed class KvLeaseInfo
{
    /// <summary>The lease's id.</summary>
    public long Id { get; init; }

    /// <summary>The TTL it was granted with: each keep-alive restarts it.</summary>
    public TimeSpan Ttl { get; init; }

    /// <summary>
    /// The time left before it expires, by the leader's clock; null when no leader answered, and
    /// always null in <see cref="KvClient.ListLeasesAsync"/>.
    /// </summary>
    public TimeSpan? Remaining { get; init; }

    /// <summary>
    /// The keys attached to it (deleted when it ends) that the caller may read; empty in
    /// <see cref="KvClient.ListLeasesAsync"/>.
    /// </summary>
    public IReadOnlyList<string> Keys { get; init; } = [];

    /// <summary>The user who granted it; null when it was granted with auth off.</summary>
    public string? Owner { get; init; }

    /// <inheritdoc/>
    public override string ToString() => $"lease {Id} ttl {Ttl.TotalSeconds:0.###} s";
}
