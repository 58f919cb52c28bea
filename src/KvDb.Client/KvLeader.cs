// The leader as one member knows it (the "leader" object of GET /v1/status).

namespace KvDb.Client;

/// <summary>The leader as a member knows it.</summary>
public sealed class KvLeader
{
    /// <summary>Its member id; null when it is not in the membership map.</summary>
    public int? Id { get; init; }

    /// <summary>Its Raft peer URL.</summary>
    public string PeerUrl { get; init; } = "";

    /// <summary>Its client URL; null when it could not be learnt.</summary>
    public Uri? HttpUrl { get; init; }
}
