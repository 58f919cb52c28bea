// On the leader, converges DotNext's Raft configuration (who votes) towards the replicated
// membership map (who should): adds members that are in the map and reachable, removes
// members that were taken out of the map. The first leader also records the initial map.
// Invariants:
//  - One configuration change at a time, and only on the leader (DotNext's rule); a new
//    leader simply carries on from the map, so no change is lost when leadership moves.
//  - A member in the map but not running yet stays "joining": it does not count towards the
//    quorum until it has been caught up and added.
//  - The leader never removes itself: a removed leader stops, and its successor removes it.
//  - A member taken out of the map leaves the configuration only after the leader has told it
//    the removal committed and it stopped, or LearnTimeout passed (it cannot be reached).

using KvDb.Node.Hosting;
using KvDb.Node.Raft;

namespace KvDb.Node.Membership;

/// <summary>Applies membership-map changes to the Raft configuration, on the leader.</summary>
public sealed partial class MembershipReconciler(
    IRaftMembership node,
    LocalState state,
    MembershipService membership,
    ILogger<MembershipReconciler> logger) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan ChangeTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LearnTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan LearnPoll = TimeSpan.FromMilliseconds(200);

    private readonly SemaphoreSlim wake = new(0, 1);

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await node.Started.WaitAsync(stoppingToken).ConfigureAwait(false);
        state.Subscribe(machine => machine.MembershipChanged += _ => Wake()).Ensure();
        node.Cluster.LeaderChanged += (_, _) => Wake();

        while (!stoppingToken.IsCancellationRequested)
        {
            if (node.Cluster.Leader is { IsRemote: false })
            {
                try
                {
                    await ReconcileOnceAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    // Leadership moved or a member went away mid-change: the next round retries.
                    LogRoundFailed(e.Message);
                }
            }

            await wake.WaitAsync(Period, stoppingToken).ConfigureAwait(false);
        }
    }

    private void Wake()
    {
        try
        {
            wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled.
        }
    }

    private async Task ReconcileOnceAsync(CancellationToken token)
    {
        var map = node.Members();
        if (map.Count == 0)
        {
            await membership.EnsureBootstrappedAsync(mayForward: false, token).ConfigureAwait(false);
            return;
        }

        await membership.EnsureClusterIdAsync(token).ConfigureAwait(false);

        var voting = node.Cluster.Members.Select(static m => PeerUrl.Of(m.EndPoint)).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var (id, url) in map)
        {
            if (!voting.Contains(url) && await PeerProbe.IsReachableAsync(url, ProbeTimeout, token).ConfigureAwait(false))
            {
                await AddAsync(id, url, token).ConfigureAwait(false);
                return;
            }
        }

        var wanted = map.Values.ToHashSet(StringComparer.Ordinal);
        foreach (var member in node.Cluster.Members)
        {
            if (member.IsRemote && PeerUrl.Of(member.EndPoint) is { } url && !wanted.Contains(url))
            {
                await RemoveAsync(url, token).ConfigureAwait(false);
                return;
            }
        }
    }

    private async Task AddAsync(int id, string url, CancellationToken token)
    {
        LogAdding(id, url);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(ChangeTimeout);
        if (await node.Membership.AddMemberAsync(PeerUrl.ToEndPoint(url).Uri, timeout.Token).ConfigureAwait(false))
            LogAdded(id, url);
        else
            LogAddFailed(id, url);
    }

    private async Task RemoveAsync(string url, CancellationToken token)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(ChangeTimeout);
        await LetItLearnAsync(url, timeout.Token).ConfigureAwait(false);
        if (await node.Membership.RemoveMemberAsync(PeerUrl.ToEndPoint(url).Uri, timeout.Token).ConfigureAwait(false))
            LogRemoved(url);
    }

    // A member learns that its removal committed only from a message the leader sends it after
    // the commit, and once out of the configuration it is sent none: removed from it at once,
    // it kept running as a member that never hears from a leader. So the leader first sends
    // replication rounds (they carry the commit index past the removal, which the leader has
    // applied) until the member has stopped (its peer port closes) or LearnTimeout has passed
    // (it is down, paused or cut off: it is removed anyway, the cluster must not wait on it).
    private async Task LetItLearnAsync(string url, CancellationToken token)
    {
        var patience = System.Diagnostics.Stopwatch.StartNew();
        while (patience.Elapsed < LearnTimeout && node.Cluster.Leader is { IsRemote: false })
        {
            await node.Cluster.ForceReplicationAsync(token).ConfigureAwait(false);
            if (!await PeerProbe.IsReachableAsync(url, ProbeTimeout, token).ConfigureAwait(false))
                return;
            await Task.Delay(LearnPoll, token).ConfigureAwait(false);
        }

        LogRemovingUnaware(url, LearnTimeout.TotalSeconds);
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        wake.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Adding member {Id} ({PeerUrl}) to the Raft configuration: catching it up first")]
    private partial void LogAdding(int id, string peerUrl);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {Id} ({PeerUrl}) added to the Raft configuration")]
    private partial void LogAdded(int id, string peerUrl);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Member {Id} ({PeerUrl}) could not be caught up and added; will retry")]
    private partial void LogAddFailed(int id, string peerUrl);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member at {PeerUrl} removed from the Raft configuration")]
    private partial void LogRemoved(string peerUrl);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Member at {PeerUrl} still runs {Seconds} s after its removal committed; removing it from the Raft configuration anyway (it may not know it was removed: stop it)")]
    private partial void LogRemovingUnaware(string peerUrl, double seconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Membership round failed, will retry: {Reason}")]
    private partial void LogRoundFailed(string reason);
}
