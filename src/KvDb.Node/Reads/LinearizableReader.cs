// Read barriers shared by concurrent linearizable reads (Raft's ReadIndex, coalesced).
// Invariants:
//  - A read waits for a barrier round that *started after the read arrived*; one round in
//    flight serves every read that arrived before it began, later reads wait for the next.
//    That is what makes sharing safe: the state a read sees includes every write that was
//    acknowledged before the read began.
//  - On the leader a round records the commit index (or, until the leader has committed an
//    entry of its own term, the index of that entry), confirms leadership with a heartbeat round
//    acknowledged by a majority, then waits until that index is applied here.
//  - On a follower a round asks the leader for a read index over the internal HTTP API (the
//    leader answers only after a confirmed round of its own), then waits until this member
//    has applied that far. DotNext's own follower barrier is not used: it trusts the leader's
//    commit index without a quorum round, which a deposed leader could serve stale.
//  - With the read lease on, a majority round that began at T lets the leader skip rounds until
//    T + lease (ReadLease): every member that acknowledged it refuses votes for a whole election
//    timeout after hearing it, so no other leader can exist before then. The check reads the
//    monotonic clock at the read, never a timer, so a leader paused past its lease sees it expired.
//  - Traced reads get a kvdb.read_barrier span (leased or not); a shared round runs in the
//    trace of the read that started it, so only that trace shows the call to the leader.
using System.Diagnostics;
using DotNext.Net.Cluster.Consensus.Raft;
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using KvDb.Node.Raft;

namespace KvDb.Node.Reads;

/// <summary>Makes reads linearizable.</summary>
public interface IReadBarrier
{
    /// <summary>Completes when local state reflects every write acknowledged before this call.</summary>
    /// <exception cref="UnavailableException">No leader or quorum within the request timeout.</exception>
    Task WaitAsync(CancellationToken token);
}

/// <summary>Coalesces Raft read barriers for concurrent linearizable reads.</summary>
public sealed class LinearizableReader(IConsensus node, IReadIndexSource leaderReadIndex, NodeOptions options) : IReadBarrier
{
    private static readonly TimeSpan RetryBackoff = TimeSpan.FromMilliseconds(20);

    private readonly BarrierRounds anyRole = new();
    private readonly BarrierRounds leaderOnly = new();
    private readonly ReadLease lease = new(options.ReadLease ? ReadLease.DurationFor(options.ElectionTimeoutMs) : TimeSpan.Zero);

    /// <inheritdoc/>
    public Task WaitAsync(CancellationToken token)
        => KvdbTracing.IsOn && Activity.Current is not null ? WaitTracedAsync(token) : WaitUntracedAsync(token);

    private async Task WaitTracedAsync(CancellationToken token)
    {
        using var span = KvdbTracing.Source.StartActivity("kvdb.read_barrier");
        span?.SetTag("kvdb.read.leased", TryLeasedReadIndex() is not null);
        try
        {
            await WaitUntracedAsync(token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            span?.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
    }

    private Task WaitUntracedAsync(CancellationToken token)
    {
        // The common case on a leader holding its lease: no round, no hop to another thread.
        if (TryLeasedReadIndex() is { } readIndex)
            return node.AppliedIndex >= readIndex ? Task.CompletedTask : node.WaitForApplyAsync(readIndex, token).AsTask();
        return anyRole.JoinNextRound(RunRoundAsync).WaitAsync(token);
    }

    /// <summary>
    /// On the leader: completes with an index that covers every write acknowledged before this
    /// call, once this member has applied it. Followers ask this of the leader.
    /// </summary>
    /// <exception cref="NotLeaderException">This member is not (or stopped being) the leader.</exception>
    public async Task<long> ConfirmReadIndexAsync(CancellationToken token)
    {
        if (TryLeasedReadIndex() is { } readIndex)
        {
            await node.WaitForApplyAsync(readIndex, token).ConfigureAwait(false);
            return node.AppliedIndex;
        }

        await leaderOnly.JoinNextRound(LeaderRoundAsync).WaitAsync(token).ConfigureAwait(false);
        return node.AppliedIndex;
    }

    private async Task RunRoundAsync()
    {
        using var timeout = new CancellationTokenSource(options.RequestTimeout);
        try
        {
            while (true)
            {
                try
                {
                    var leader = node.Leader ?? await node.WaitForLeaderAsync(timeout.Token).ConfigureAwait(false);
                    if (leader.IsThisMember)
                    {
                        await LeaderBarrierAsync(timeout.Token).ConfigureAwait(false);
                        return;
                    }

                    var readIndex = await leaderReadIndex.ReadIndexAsync(leader.PeerUri, timeout.Token).ConfigureAwait(false);
                    await node.WaitForApplyAsync(readIndex, timeout.Token).ConfigureAwait(false);
                    return;
                }
                catch (Exception e) when (e is NotLeaderException or HttpRequestException or UnavailableException)
                {
                    // Leadership is moving or the leader we knew is unreachable: ask again shortly.
                    await Task.Delay(RetryBackoff, timeout.Token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new UnavailableException(node.Leader is null
                ? "No leader: a majority of members is not reachable."
                : "Timed out confirming the latest committed state with a majority; retry.");
        }
    }

    private async Task LeaderRoundAsync()
    {
        using var timeout = new CancellationTokenSource(options.RequestTimeout);
        try
        {
            await LeaderBarrierAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new UnavailableException("Timed out confirming leadership with a majority; retry.");
        }
    }

    // ReadIndex: every write acknowledged so far is at or below the commit index, once this
    // leader has committed an entry of its own term (before that, its commit index may lag what
    // earlier leaders committed, so the read waits for its first entry instead); and a heartbeat
    // round acknowledged by a majority after this point proves no other leader can have
    // committed anything newer. Entries appended but not yet committed are not waited for.
    private async Task LeaderBarrierAsync(CancellationToken token)
    {
        var leadership = node.LeadershipToken;
        if (leadership.IsCancellationRequested)
            throw new NotLeaderException();

        var term = node.Term;
        var (startTerm, startIndex) = node.LeadershipStart;
        var readIndex = startTerm == term
            ? long.Max(node.CommitIndex, startIndex)
            : node.LastIndex;
        var roundStart = Stopwatch.GetTimestamp();
        await node.ForceReplicationAsync(token).ConfigureAwait(false);
        lease.Renew(term, roundStart);

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, leadership);
        try
        {
            await node.WaitForApplyAsync(readIndex, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (leadership.IsCancellationRequested && !token.IsCancellationRequested)
        {
            throw new NotLeaderException();
        }
    }

    // The read index a leader within its lease may serve at without a round: its commit index,
    // once it has committed an entry of its own term. Null when a round is needed.
    private long? TryLeasedReadIndex()
    {
        var term = node.Term;
        if (!lease.IsHeld(term, Stopwatch.GetTimestamp()) || node.LeadershipToken.IsCancellationRequested)
            return null;

        var (startTerm, startIndex) = node.LeadershipStart;
        var commitIndex = node.CommitIndex;
        return startTerm == term && commitIndex >= startIndex ? commitIndex : null;
    }

    /// <summary>One barrier in flight at a time; callers that arrive meanwhile share the next one.</summary>
    private sealed class BarrierRounds
    {
        private readonly Lock sync = new();
        private TaskCompletionSource? next;
        private bool running;

        public Task JoinNextRound(Func<Task> round)
        {
            lock (sync)
            {
                next ??= new(TaskCreationOptions.RunContinuationsAsynchronously);
                var joined = next.Task;
                if (!running)
                {
                    running = true;
                    _ = Task.Run(() => RunAsync(round), CancellationToken.None);
                }

                return joined;
            }
        }

        private async Task RunAsync(Func<Task> round)
        {
            while (true)
            {
                TaskCompletionSource current;
                lock (sync)
                {
                    if (next is null)
                    {
                        running = false;
                        return;
                    }

                    current = next;
                    next = null;
                }

                try
                {
                    await round().ConfigureAwait(false);
                    current.TrySetResult();
                }
                catch (Exception e)
                {
                    current.TrySetException(e);
                }
            }
        }
    }
}
