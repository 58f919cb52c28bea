// One member of the cluster as GET /v1/members (and /v1/status) describes it.

namespace KvDb.Client;

/// <summary>A cluster member.</summary>
public sealed class KvMember
{
    /// <summary>Its member id.</summary>
    public int Id { get; init; }

    /// <summary>Its Raft peer URL (the member-to-member port).</summary>
    public string PeerUrl { get; init; } = "";

    /// <summary>Its client URL, usable in <see cref="KvClientOptions.Endpoints"/>; null when the answering member does not know it.</summary>
    public Uri? HttpUrl { get; init; }

    /// <summary><c>leader</c>, <c>follower</c> or <c>joining</c>.</summary>
    public string Role { get; init; } = "";

    /// <summary>Whether the answering member's Raft transport reaches it.</summary>
    public bool Reachable { get; init; }

    /// <summary>The release it advertised; null when it advertised none (a release before cluster versions, counted as the oldest).</summary>
    public string? Version { get; init; }

    /// <inheritdoc/>
    public override string ToString() => $"{Id} {Role} {HttpUrl}";
}
