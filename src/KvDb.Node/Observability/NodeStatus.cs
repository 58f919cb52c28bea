// GET /v1/status: everything an operator asks first about one member, in one JSON document.
// Invariants:
//  - Built from the live member at request time; the indices are read commit-first, so
//    appliedIndex may be ahead of commitIndex by the entries applied in between, never
//    behind what was committed before the request arrived.
//  - members is exactly what GET /v1/members answers on this member (MembershipService).
//  - Answers even without a leader or quorum: nothing in it needs the cluster's agreement.
//  - writesRefused is exactly what the write path sees: DiskSpaceGuard decides both; so are
//    clusterVersion and unavailableCommands: ClusterVersionGate decides both.
using System.Diagnostics;
using DotNext.Net.Cluster.Consensus.Raft;
using KvDb.Contracts;
using KvDb.Node.Hosting;
using KvDb.Node.Leases;
using KvDb.Node.Membership;
using KvDb.Node.Raft;
using KvDb.Node.Security;
using KvDb.Node.Watch;
using KvDb.Node.Writes;
using Microsoft.Extensions.Options;

namespace KvDb.Node.Observability;

/// <summary>The leader as this member knows it.</summary>
/// <param name="Id">Its member id, or null when it is not in the membership map.</param>
/// <param name="PeerUrl">Its Raft peer URL.</param>
/// <param name="HttpUrl">Its HTTP API URL, or null when it could not be learnt.</param>
public sealed record LeaderStatus(int? Id, string PeerUrl, string? HttpUrl);

/// <summary>Watches on this member and the change history they read.</summary>
/// <param name="Open">Watch streams open on this member.</param>
/// <param name="Attached">Of those, how many the watch hub feeds (the rest are catching up from the history).</param>
/// <param name="HistoryCompactedRevision">The highest revision the change history has forgotten: an older after= gets 410.</param>
/// <param name="HistoryWindow">--watch-history: how long changes are kept at least.</param>
/// <param name="HistoryFloor">--watch-history-floor: how many of the newest revisions are kept however old.</param>
/// <param name="RecentRecords">Change records held in memory for the hub (at most 16,384, about 32 MiB).</param>
public sealed record WatchStatus(int Open, int Attached, long HistoryCompactedRevision, string HistoryWindow, long HistoryFloor, int RecentRecords);

/// <summary>The document <c>GET /v1/status</c> answers.</summary>
public sealed record NodeStatus(
    int Id,
    string PeerUrl,
    string HttpUrl,
    string Role,
    long Term,
    LeaderStatus? Leader,
    long CommitIndex,
    long AppliedIndex,
    long LastLogIndex,
    long SnapshotIndex,
    bool Ready,
    string Readiness,
    IReadOnlyList<MemberView> Members,
    string DataDir,
    long DataDirBytes,
    long DiskFreeBytes,
    long MinFreeDiskBytes,
    bool WritesRefused,
    bool InMemory,
    string Version,
    DateTimeOffset StartedAt,
    double UptimeSeconds,
    WatchStatus Watch,
    LeaseStatus Leases)
{
    /// <summary>The cluster's id (null until the first leader has recorded it; see docs/operations/backup.md).</summary>
    public string? ClusterId { get; init; }

    /// <summary>Scheduled backups (--backup-to): the last one's time, revision, size and outcome; null when off.</summary>
    public Backups.BackupStatus? Backup { get; init; }

    /// <summary>The cluster version (its lowest member release); null before the member started.</summary>
    public string? ClusterVersion { get; init; }

    /// <summary>This release's command kinds that some member cannot apply yet: name and member ids.</summary>
    public IReadOnlyList<(string Command, IReadOnlyList<int> Members)> UnavailableCommands { get; init; } = [];

    /// <summary>The document as GET /v1/status answers it (KvDb.Contracts' StatusJson, field for field).</summary>
    public StatusJson ToContract() => new()
    {
        Id = Id,
        PeerUrl = PeerUrl,
        HttpUrl = HttpUrl,
        Role = Role,
        Term = Term,
        Leader = Leader is { } leader ? new LeaderJson { Id = leader.Id, PeerUrl = leader.PeerUrl, HttpUrl = leader.HttpUrl } : null,
        CommitIndex = CommitIndex,
        AppliedIndex = AppliedIndex,
        LastLogIndex = LastLogIndex,
        SnapshotIndex = SnapshotIndex,
        Ready = Ready,
        Readiness = Readiness,
        Members = [.. Members.Select(static m => m.ToContract())],
        DataDir = DataDir,
        DataDirBytes = DataDirBytes,
        DiskFreeBytes = DiskFreeBytes,
        MinFreeDiskBytes = MinFreeDiskBytes,
        WritesRefused = WritesRefused,
        InMemory = InMemory,
        Version = Version,
        StartedAt = StartedAt,
        UptimeSeconds = UptimeSeconds,
        Watch = new WatchStatusJson
        {
            Open = Watch.Open,
            Attached = Watch.Attached,
            HistoryCompactedRevision = Watch.HistoryCompactedRevision,
            HistoryWindow = Watch.HistoryWindow,
            HistoryFloor = Watch.HistoryFloor,
            RecentRecords = Watch.RecentRecords,
        },
        Leases = new LeaseStatusJson { Alive = Leases.Alive, KeepingClock = Leases.KeepingClock },
        ClusterId = ClusterId,
        Backup = Backup is { } backup ? backup.ToContract() : null,
        ClusterVersion = ClusterVersion,
        UnavailableCommands = [.. UnavailableCommands.Select(static c => new UnavailableCommandJson { Command = c.Command, Members = [.. c.Members] })],
    };
}

/// <summary>Leases on this member.</summary>
/// <param name="Alive">Leases alive in this member's applied state.</param>
/// <param name="KeepingClock">True on the leader, whose clock decides when leases expire.</param>
public sealed record LeaseStatus(int Alive, bool KeepingClock);

/// <summary>Builds <see cref="NodeStatus"/> documents.</summary>
public sealed class NodeStatusReporter(IRaftMembership node, LocalState state, MembershipService membership, ReadinessCheck readiness, DiskSpaceGuard disk, WatchHub watches, LeaseKeeper leases, IOptions<MemberOptions> member, ClusterIdentity clusterIdentity, Backups.BackupHistory backups, ClusterVersionGate clusterVersion, KvDb.Core.Commands.CommandRegistry registry)
{
    /// <summary>When this process started (UTC).</summary>
    public static DateTimeOffset ProcessStartedAt { get; } = new(Process.GetCurrentProcess().StartTime.ToUniversalTime(), TimeSpan.Zero);

    /// <summary>Describes this member now.</summary>
    public async Task<NodeStatus> GetAsync(CancellationToken token)
    {
        var ready = await readiness.EvaluateAsync(token).ConfigureAwait(false);
        var started = node.IsStarted;
        var commit = started ? state.Log.LastCommittedEntryIndex : 0L;
        var lastLog = started ? state.Log.LastEntryIndex : 0L;
        var applied = started ? state.AppliedIndex : 0L;
        var members = started ? await membership.ListAsync(token).ConfigureAwait(false) : [];
        var now = DateTimeOffset.UtcNow;
        return new NodeStatus(
            Id: member.Value.Id,
            PeerUrl: member.Value.PeerUrl,
            HttpUrl: member.Value.AdvertisedHttpUrl,
            Role: RaftRole.Of(node),
            Term: started ? node.Cluster.Term : 0L,
            Leader: started ? DescribeLeader(members) : null,
            CommitIndex: commit,
            AppliedIndex: applied,
            LastLogIndex: lastLog,
            SnapshotIndex: started ? state.SnapshotIndex : 0L,
            Ready: ready.IsReady,
            Readiness: ready.Reason,
            Members: members,
            DataDir: member.Value.DataDir,
            DataDirBytes: DataDirectorySize.Of(member.Value.DataDir),
            DiskFreeBytes: disk.FreeBytes,
            MinFreeDiskBytes: disk.ReserveBytes,
            WritesRefused: disk.ReserveBytes > 0 && disk.IsLow,
            InMemory: member.Value.InMemory,
            Version: CommandLine.Version,
            StartedAt: ProcessStartedAt,
            UptimeSeconds: Math.Round((now - ProcessStartedAt).TotalSeconds, 3),
            Watch: new WatchStatus(
                Open: watches.Open,
                Attached: watches.Count,
                HistoryCompactedRevision: started ? HistoryCompactedRevision() : 0L,
                HistoryWindow: KvDb.Flags.Duration.Format(member.Value.WatchHistory),
                HistoryFloor: member.Value.WatchHistoryFloor,
                RecentRecords: started ? state.Recent.Count : 0),
            Leases: new LeaseStatus(started ? state.Leases.Count : 0, leases.IsKeeping))
        {
            ClusterId = clusterIdentity.Current,
            Backup = backups.Status,
            ClusterVersion = started ? clusterVersion.Current.Version : null,
            UnavailableCommands = started ? UnavailableCommands(clusterVersion.Current) : [],
        };
    }

    private List<(string Command, IReadOnlyList<int> Members)> UnavailableCommands(Core.Membership.ClusterVersion version)
        => [.. version.Unusable.Select(tag => (registry.HandlerOf(tag)?.LogName ?? tag.ToString(System.Globalization.CultureInfo.InvariantCulture), version.Lacking(tag)))];

    private long HistoryCompactedRevision()
    {
        using var view = state.Store.OpenView();
        return Core.Watch.ChangeHistory.CompactedRevision(view);
    }

    private LeaderStatus? DescribeLeader(IReadOnlyList<MemberView> members)
    {
        if (node.Cluster.Leader is not { } leader)
            return null;
        if (!leader.IsRemote)
            return new LeaderStatus(member.Value.Id, member.Value.PeerUrl, member.Value.AdvertisedHttpUrl);

        var id = node.IdOf(leader.EndPoint);
        var view = members.FirstOrDefault(m => m.Id == id);
        return new LeaderStatus(id, view?.PeerUrl ?? $"http://{leader.EndPoint}", view?.HttpUrl);
    }
}
