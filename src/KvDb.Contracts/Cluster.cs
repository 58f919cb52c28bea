// Members and status:
//   GET  /v1/members  -> [{"id", "peerUrl", "httpUrl", "role", "reachable", "version"}], header X-Kvdb-Cluster-Version
//   POST /v1/members {"id", "peerUrl"} -> 204, or 202 {"id", "peerUrl", "status": "joining", "detail"}
//   GET  /v1/status   -> StatusJson (one member's view of itself and the cluster)
// Invariant: every field is written, nulls included (httpUrl, leader, clusterId, backup...), as
// ASP.NET Core wrote these documents before they had records.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace KvDb.Contracts;

/// <summary>A member as <c>GET /v1/members</c> lists it.</summary>
public sealed record MemberJson
{
    /// <summary>Its member id.</summary>
    public int Id { get; init; }

    /// <summary>Its Raft peer URL.</summary>
    public string PeerUrl { get; init; } = "";

    /// <summary>Its client URL; null when the answering member does not know it.</summary>
    public string? HttpUrl { get; init; }

    /// <summary><c>leader</c>, <c>follower</c> or <c>joining</c>.</summary>
    public string Role { get; init; } = "";

    /// <summary>Whether the answering member's Raft transport reaches it.</summary>
    public bool Reachable { get; init; }

    /// <summary>The release it advertised; null when it advertised none (a release before cluster versions, counted as the oldest).</summary>
    public string? Version { get; init; }
}

/// <summary>A command kind this member has that some members cannot apply yet (<c>/v1/status</c>'s <c>unavailableCommands</c>).</summary>
public sealed record UnavailableCommandJson
{
    /// <summary>The command's name (its <c>/v1/log</c> name, <c>StreamAppend</c>).</summary>
    public string Command { get; init; } = "";

    /// <summary>The ids of the members that cannot apply it.</summary>
    public List<int> Members { get; init; } = [];
}

/// <summary>The body of <c>POST /v1/members</c>.</summary>
public sealed record AddMemberRequestJson
{
    /// <summary>The new member's id (kept as JSON: the server says what is wrong with it).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Id { get; init; }

    /// <summary>Its peer URL.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? PeerUrl { get; init; }
}

/// <summary>The 202 answer of a member being added.</summary>
public sealed record MemberJoiningJson
{
    /// <summary>Its id.</summary>
    public int Id { get; init; }

    /// <summary>Its peer URL.</summary>
    public string PeerUrl { get; init; } = "";

    /// <summary><c>joining</c>.</summary>
    public string Status { get; init; } = "";

    /// <summary>What is happening.</summary>
    public string? Detail { get; init; }
}

/// <summary>The leader as a member knows it.</summary>
public sealed record LeaderJson
{
    /// <summary>Its member id; null when it is not in the membership map.</summary>
    public int? Id { get; init; }

    /// <summary>Its Raft peer URL.</summary>
    public string PeerUrl { get; init; } = "";

    /// <summary>Its client URL; null when it could not be learnt.</summary>
    public string? HttpUrl { get; init; }
}

/// <summary>Watches on a member and the change history they read.</summary>
public sealed record WatchStatusJson
{
    /// <summary>Watch streams open.</summary>
    public int Open { get; init; }

    /// <summary>Of those, how many the hub feeds.</summary>
    public int Attached { get; init; }

    /// <summary>The highest revision the change history has forgotten.</summary>
    public long HistoryCompactedRevision { get; init; }

    /// <summary>--watch-history.</summary>
    public string HistoryWindow { get; init; } = "";

    /// <summary>--watch-history-floor.</summary>
    public long HistoryFloor { get; init; }

    /// <summary>Change records held in memory.</summary>
    public int RecentRecords { get; init; }
}

/// <summary>Leases on a member.</summary>
public sealed record LeaseStatusJson
{
    /// <summary>Leases alive in its applied state.</summary>
    public int Alive { get; init; }

    /// <summary>True on the leader, whose clock decides expiry.</summary>
    public bool KeepingClock { get; init; }
}

/// <summary>Scheduled backups as <c>/v1/status</c> shows them under <c>backup</c>.</summary>
public sealed record BackupStatusJson
{
    /// <summary>Where backups go (--backup-to).</summary>
    public string Destination { get; init; } = "";

    /// <summary>--backup-interval.</summary>
    public string Interval { get; init; } = "";

    /// <summary>--backup-retain.</summary>
    public int Retain { get; init; }

    /// <summary>True while this member leads and so takes the backups.</summary>
    public bool Uploading { get; init; }

    /// <summary>When the last attempt ended, or null.</summary>
    public DateTimeOffset? LastAttemptAt { get; init; }

    /// <summary><c>succeeded</c>, <c>failed</c>, or null before the first attempt.</summary>
    public string? LastOutcome { get; init; }

    /// <summary>Why the last attempt failed, or null.</summary>
    public string? LastError { get; init; }

    /// <summary>When the last successful backup was taken, or null.</summary>
    public DateTimeOffset? LastSuccessAt { get; init; }

    /// <summary>Its revision (0 before the first).</summary>
    public long LastRevision { get; init; }

    /// <summary>Its size in bytes.</summary>
    public long LastBytes { get; init; }

    /// <summary>Its object name.</summary>
    public string? LastName { get; init; }

    /// <summary>Successful backups since the member started.</summary>
    public long Succeeded { get; init; }

    /// <summary>Failed attempts since the member started.</summary>
    public long Failed { get; init; }
}

/// <summary><c>GET /v1/status</c>.</summary>
public sealed record StatusJson
{
    /// <summary>Its member id.</summary>
    public int Id { get; init; }

    /// <summary>Its Raft peer URL.</summary>
    public string PeerUrl { get; init; } = "";

    /// <summary>Its client URL.</summary>
    public string? HttpUrl { get; init; }

    /// <summary><c>leader</c>, <c>follower</c> or <c>joining</c>.</summary>
    public string Role { get; init; } = "";

    /// <summary>Its Raft term.</summary>
    public long Term { get; init; }

    /// <summary>The leader it knows; null while there is none.</summary>
    public LeaderJson? Leader { get; init; }

    /// <summary>The highest log index it knows committed.</summary>
    public long CommitIndex { get; init; }

    /// <summary>The highest log index it applied.</summary>
    public long AppliedIndex { get; init; }

    /// <summary>The last index in its log.</summary>
    public long LastLogIndex { get; init; }

    /// <summary>Its newest snapshot's index.</summary>
    public long SnapshotIndex { get; init; }

    /// <summary>Whether it should get client traffic.</summary>
    public bool Ready { get; init; }

    /// <summary><c>ready</c>, or why not.</summary>
    public string Readiness { get; init; } = "";

    /// <summary>The members, as <c>GET /v1/members</c> answers on it.</summary>
    public List<MemberJson> Members { get; init; } = [];

    /// <summary>Its data directory.</summary>
    public string DataDir { get; init; } = "";

    /// <summary>The data directory's size in bytes.</summary>
    public long DataDirBytes { get; init; }

    /// <summary>Free bytes on its filesystem; -1 when unknown.</summary>
    public long DiskFreeBytes { get; init; }

    /// <summary>--min-free-disk in bytes.</summary>
    public long MinFreeDiskBytes { get; init; }

    /// <summary>True while writes through it are refused for lack of disk.</summary>
    public bool WritesRefused { get; init; }

    /// <summary>--in-memory.</summary>
    public bool InMemory { get; init; }

    /// <summary>Its kvdb version.</summary>
    public string Version { get; init; } = "";

    /// <summary>When its process started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>Seconds since then.</summary>
    public double UptimeSeconds { get; init; }

    /// <summary>Its watches.</summary>
    public WatchStatusJson Watch { get; init; } = new();

    /// <summary>Its leases.</summary>
    public LeaseStatusJson Leases { get; init; } = new();

    /// <summary>The cluster's id; null until the first leader recorded it.</summary>
    public string? ClusterId { get; init; }

    /// <summary>Scheduled backups; null when off.</summary>
    public BackupStatusJson? Backup { get; init; }

    /// <summary>The cluster version: the lowest release among the members (a member that advertised none counts as 0.1.0); null before the member started.</summary>
    public string? ClusterVersion { get; init; }

    /// <summary>The command kinds of this member's release that some member cannot apply yet; writes that need them answer 409.</summary>
    public List<UnavailableCommandJson> UnavailableCommands { get; init; } = [];
}
