// Prometheus series for this member's Raft state: term, role, leader, commit/applied/log
// indices, leader changes, and on the leader each follower's replication lag.
// Invariants:
//  - Gauges are read from the live Raft member just before each scrape (a before-collect
//    callback), so a scrape sees one consistent-enough moment and nothing polls in between.
//  - Exactly one kvdb_raft_role{role=...} series is 1 at a time once the member has started.
//  - Per-member series (reachability, follower lag) exist only for current members, and the
//    lag series only while this member leads: children for members that left, or for
//    followers of a leadership this member lost, are removed at the next scrape.
//  - The leader-change counter counts LeaderChanged events that name a leader, from the
//    moment this service started (i.e. elections and newly learnt leaders seen by this member).
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using KvDb.Node.Hosting;
using KvDb.Node.Raft;
using Microsoft.Extensions.Options;
using Prometheus;

namespace KvDb.Node.Observability;

/// <summary>Exports this member's Raft state to the Prometheus registry.</summary>
public sealed class RaftMetrics : IHostedService
{
    /// <summary>The values of the role label; one of them is 1 at a time.</summary>
    public static readonly string[] Roles = [RaftRole.Leader, RaftRole.Follower, RaftRole.Joining];

    private readonly IRaftMembership node;
    private readonly LocalState state;
    private readonly CollectorRegistry registry;
    private readonly Gauge term, role, hasLeader, leaderId, commitIndex, appliedIndex, lastLogIndex, snapshotIndex, votingMembers, memberId;
    private readonly Gauge memberReachable, followerMatchedIndex, followerLag;
    private readonly Counter leaderChanges;
    private volatile bool started;

    /// <summary>Creates the series in <paramref name="registry"/>; they move once the member has started.</summary>
    public RaftMetrics(IRaftMembership node, LocalState state, IOptions<MemberOptions> member, CollectorRegistry registry, IMetricFactory metrics)
    {
        this.node = node;
        this.state = state;
        this.registry = registry;
        memberId = metrics.CreateGauge("kvdb_member_id", "This member's id (--id).");
        term = metrics.CreateGauge("kvdb_raft_term", "The current Raft term as seen by this member.");
        role = metrics.CreateGauge("kvdb_raft_role", "1 for this member's current role: leader, follower (of a known leader or none), or joining (started with --join, not added yet).", ["role"]);
        hasLeader = metrics.CreateGauge("kvdb_raft_has_leader", "1 while this member knows a leader (itself included), else 0.");
        leaderId = metrics.CreateGauge("kvdb_raft_leader_id", "The id of the leader this member knows, 0 when none.");
        commitIndex = metrics.CreateGauge("kvdb_raft_commit_index", "The highest log index this member knows to be committed.");
        appliedIndex = metrics.CreateGauge("kvdb_raft_applied_index", "The highest log index this member has applied to its state machine.");
        lastLogIndex = metrics.CreateGauge("kvdb_raft_last_log_index", "The index of the last entry in this member's log (committed or not).");
        snapshotIndex = metrics.CreateGauge("kvdb_raft_snapshot_index", "The log index of this member's newest durable snapshot, 0 when none.");
        votingMembers = metrics.CreateGauge("kvdb_raft_voting_members", "Members in the Raft configuration (voters) as this member sees it.");
        leaderChanges = metrics.CreateCounter("kvdb_raft_leader_changes_total", "Times this member saw a leader elected or learnt of a new leader.");
        memberReachable = metrics.CreateGauge("kvdb_raft_member_reachable", "Per voting member: 1 if this member's Raft transport reaches it, 0 if DotNext marked it unavailable.", ["member_id"]);
        followerMatchedIndex = metrics.CreateGauge("kvdb_raft_follower_matched_index", "On the leader, per follower: the highest log index the follower has acknowledged.", ["member_id"]);
        followerLag = metrics.CreateGauge("kvdb_raft_follower_lag_entries", "On the leader, per follower: the leader's last log index minus the follower's matched index.", ["member_id"]);
        foreach (var name in Roles)
            role.WithLabels(name).Set(0);
        memberId.Set(member.Value.Id);
    }

    /// <inheritdoc/>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Hosted services start in order, so the Raft member is already running here; the
        // wait only matters if that ever changes.
        await node.Started.WaitAsync(cancellationToken).ConfigureAwait(false);
        node.Cluster.LeaderChanged += OnLeaderChanged;
        if (node.Cluster.Leader is not null)
            leaderChanges.Inc();
        registry.AddBeforeCollectCallback(Update);
        started = true;
    }

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        started = false;
        if (node.IsStarted)
            node.Cluster.LeaderChanged -= OnLeaderChanged;
        return Task.CompletedTask;
    }

    private void OnLeaderChanged(ICluster cluster, IClusterMember? leader)
    {
        if (leader is not null)
            leaderChanges.Inc();
    }

    // Runs on the scraping request's thread; the registry has no way to unregister it, so it
    // does nothing once the service has stopped.
    private void Update()
    {
        if (!started)
            return;

        var cluster = node.Cluster;
        var log = state.Log;
        var leader = cluster.Leader;
        var current = RaftRole.Of(node);
        foreach (var name in Roles)
            role.WithLabels(name).Set(name == current ? 1 : 0);

        term.Set(cluster.Term);
        hasLeader.Set(leader is null ? 0 : 1);
        leaderId.Set(leader is null ? 0 : node.IdOf(leader.EndPoint) ?? 0);
        commitIndex.Set(log.LastCommittedEntryIndex);
        appliedIndex.Set(state.AppliedIndex);
        var last = log.LastEntryIndex;
        lastLogIndex.Set(last);
        snapshotIndex.Set(state.SnapshotIndex);
        votingMembers.Set(cluster.Members.Count);
        UpdatePerMember(cluster, current == RaftRole.Leader, last);
    }

    private void UpdatePerMember(IRaftCluster cluster, bool leading, long leaderLastIndex)
    {
        var reachableSeen = new HashSet<string>(StringComparer.Ordinal);
        var followersSeen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in cluster.Members)
        {
            if (!member.IsRemote)
                continue;

            var id = (node.IdOf(member.EndPoint) ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture);
            memberReachable.WithLabels(id).Set(member.Status is ClusterMemberStatus.Unavailable ? 0 : 1);
            reachableSeen.Add(id);
            if (leading && FollowerReplicationState.MatchedIndex(member) is { } matched)
            {
                followerMatchedIndex.WithLabels(id).Set(matched);
                followerLag.WithLabels(id).Set(long.Max(0L, leaderLastIndex - matched));
                followersSeen.Add(id);
            }
        }

        RemoveOthers(memberReachable, reachableSeen);
        RemoveOthers(followerMatchedIndex, followersSeen);
        RemoveOthers(followerLag, followersSeen);
    }

    private static void RemoveOthers(Gauge gauge, HashSet<string> keep)
    {
        foreach (var labels in gauge.GetAllLabelValues().ToList())
        {
            if (!keep.Contains(labels[0]))
                gauge.RemoveLabelled(labels);
        }
    }
}
