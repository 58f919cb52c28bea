// GET /v1/status of one member: what an operator asks first. It answers without a leader or
// quorum, so it is the way to ask a member how it sees the cluster.

namespace KvDb.Client;

/// <summary>One member's view of itself and the cluster.</summary>
public sealed class KvMemberStatus
{
    /// <summary>Its member id.</summary>
    public int Id { get; init; }

    /// <summary>Its Raft peer URL.</summary>
    public string PeerUrl { get; init; } = "";

    /// <summary>Its client URL.</summary>
    public Uri? HttpUrl { get; init; }

    /// <summary><c>leader</c>, <c>follower</c> (also while no leader is known) or <c>joining</c>.</summary>
    public string Role { get; init; } = "";

    /// <summary>Its current Raft term.</summary>
    public long Term { get; init; }

    /// <summary>The leader it knows; null while there is none.</summary>
    public KvLeader? Leader { get; init; }

    /// <summary>The highest log index it knows committed.</summary>
    public long CommitIndex { get; init; }

    /// <summary>The highest log index it has applied.</summary>
    public long AppliedIndex { get; init; }

    /// <summary>The last index in its log.</summary>
    public long LastLogIndex { get; init; }

    /// <summary>The index of its newest snapshot; 0 when none.</summary>
    public long SnapshotIndex { get; init; }

    /// <summary>Whether it should get client traffic (what <c>/readyz</c> says).</summary>
    public bool Ready { get; init; }

    /// <summary><c>ready</c>, or why it is not.</summary>
    public string Readiness { get; init; } = "";

    /// <summary>The members, as <see cref="KvClient.GetMembersAsync"/> answers on this member.</summary>
    public IReadOnlyList<KvMember> Members { get; init; } = [];

    /// <summary>Its data directory.</summary>
    public string DataDir { get; init; } = "";

    /// <summary>The size of its data directory in bytes.</summary>
    public long DataDirBytes { get; init; }

    /// <summary>Free bytes on the data directory's filesystem; -1 when unknown.</summary>
    public long DiskFreeBytes { get; init; }

    /// <summary>Its <c>--min-free-disk</c> reserve in bytes.</summary>
    public long MinFreeDiskBytes { get; init; }

    /// <summary>True while free space is below the reserve: writes through it are refused (507).</summary>
    public bool WritesRefused { get; init; }

    /// <summary>Whether it keeps nothing on disk (<c>--in-memory</c>).</summary>
    public bool InMemory { get; init; }

    /// <summary>Its kvdb version.</summary>
    public string Version { get; init; } = "";

    /// <summary>When its process started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>Seconds since it started.</summary>
    public double UptimeSeconds { get; init; }

    /// <summary>The cluster version: the lowest release among the members; null from a member before cluster versions.</summary>
    public string? ClusterVersion { get; init; }

    /// <summary>Command kinds of its release that some members cannot apply yet, with those members' ids; writes that need them answer 409.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<int>> UnavailableCommands { get; init; } = new Dictionary<string, IReadOnlyList<int>>();
}
