// On the leader, converges DotNext's Raft configuration (who votes) towards the replicated
// membership map (who should): adds members that are in the map and reachable, removes
// members that were taken out of the map. The first leader also records the initial map.
// Invariants:
//  - One configuration change at a time, and only on the leader (DotNext's rule); a new
//    leader simply carries on from the map, so no change is lost when leadership moves.
//  - A member in the map but not running yet stays "joining": it does not count towards the
//    quorum until it has been caught up and added.
//  - The leader never removes itself: a removed leader stops, and its successor removes it.
using System.Net;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;

namespace KvDb.Node.Raft;

/// <summary>Applies membership-map changes to the Raft configuration, on the leader.</summary>
public sealed partial class MembershipReconciler(
    RaftNode node,
    MembershipService membership,
    ILogger<MembershipReconciler> logger) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan ChangeTimeout = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim wake = new(0, 1);

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await node.Started.WaitAsync(stoppingToken).ConfigureAwait(false);
        node.StateMachine.MembershipChanged += _ => Wake();
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

        var cluster = node.Cluster;
        var voting = cluster.Members.Select(static m => m.EndPoint).ToHashSet();
        foreach (var (id, url) in map)
        {
            if (node.EndPointOf(url) is { } endPoint && !voting.Contains(endPoint) && await PeerProbe.IsReachableAsync(endPoint, ProbeTimeout, token).ConfigureAwait(false))
            {
                await AddAsync(cluster, id, endPoint, token).ConfigureAwait(false);
                return;
            }
        }

        var wanted = map.Values.Select(node.EndPointOf).OfType<EndPoint>().ToHashSet();
        foreach (var member in cluster.Members)
        {
            if (member.IsRemote && !wanted.Contains(member.EndPoint))
            {
                await RemoveAsync(cluster, member.EndPoint, token).ConfigureAwait(false);
                return;
            }
        }
    }

    private async Task AddAsync(RaftCluster cluster, int id, EndPoint endPoint, CancellationToken token)
    {
        LogAdding(id, endPoint);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(ChangeTimeout);
        if (await cluster.AddMemberAsync(endPoint, timeout.Token).ConfigureAwait(false))
            LogAdded(id, endPoint);
        else
            LogAddFailed(id, endPoint);
    }

    private async Task RemoveAsync(RaftCluster cluster, EndPoint endPoint, CancellationToken token)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(ChangeTimeout);
        if (await cluster.RemoveMemberAsync(endPoint, timeout.Token).ConfigureAwait(false))
            LogRemoved(endPoint);
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        wake.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Adding member {Id} ({EndPoint}) to the Raft configuration: catching it up first")]
    private partial void LogAdding(int id, EndPoint endPoint);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {Id} ({EndPoint}) added to the Raft configuration")]
    private partial void LogAdded(int id, EndPoint endPoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Member {Id} ({EndPoint}) could not be caught up and added; will retry")]
    private partial void LogAddFailed(int id, EndPoint endPoint);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member at {EndPoint} removed from the Raft configuration")]
    private partial void LogRemoved(EndPoint endPoint);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Membership round failed, will retry: {Reason}")]
    private partial void LogRoundFailed(string reason);
}
