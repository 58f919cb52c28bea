// Read barriers shared by concurrent linearizable reads.
// Invariants:
//  - A read waits for a barrier that *started after the read arrived*; one barrier in flight
//    serves every read that arrived before it began, later reads wait for the next one.
//    That is what makes sharing safe: the state the read sees includes every write that
//    completed before the read began.
//  - A barrier on the leader confirms leadership with a round to the followers (Raft's
//    ReadIndex); on a follower it asks the leader for its commit index, then waits until
//    this member has applied that far. Either way the read is served from local state.
using DotNext.Net.Cluster.Consensus.Raft;
using KvDb.Node.Configuration;

namespace KvDb.Node.Raft;

/// <summary>Coalesces Raft read barriers for concurrent linearizable reads.</summary>
public sealed class LinearizableReader(RaftNode node, NodeOptions options)
{
    private readonly Lock sync = new();
    private TaskCompletionSource? next;
    private bool running;

    private static readonly TimeSpan RetryBackoff = TimeSpan.FromMilliseconds(25);

    /// <summary>Completes when local state reflects every write acknowledged before this call.</summary>
    /// <exception cref="UnavailableException">No leader or quorum within the request timeout.</exception>
    public Task WaitAsync(CancellationToken token)
    {
        Task barrier;
        lock (sync)
        {
            next ??= new(TaskCreationOptions.RunContinuationsAsynchronously);
            barrier = next.Task;
            if (!running)
            {
                running = true;
                _ = Task.Run(RunBarriersAsync, CancellationToken.None);
            }
        }

        return barrier.WaitAsync(token);
    }

    private async Task RunBarriersAsync()
    {
        while (true)
        {
            TaskCompletionSource round;
            lock (sync)
            {
                if (next is null)
                {
                    running = false;
                    return;
                }

                round = next;
                next = null;
            }

            try
            {
                await BarrierAsync().ConfigureAwait(false);
                round.TrySetResult();
            }
            catch (Exception e)
            {
                round.TrySetException(e);
            }
        }
    }

    private async Task BarrierAsync()
    {
        using var timeout = new CancellationTokenSource(options.RequestTimeout);
        var cluster = node.Cluster;
        try
        {
            while (true)
            {
                try
                {
                    await cluster.ApplyReadBarrierAsync(ReadBarrierType.Strong, timeout.Token).ConfigureAwait(false);
                    return;
                }
                catch (QuorumUnreachableException)
                {
                    // No leader known right now: wait for an election, then try again.
                    await cluster.WaitForLeaderAsync(Timeout.InfiniteTimeSpan, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The leader we knew is unreachable or stepped down; back off briefly, then retry.
                    await Task.Delay(RetryBackoff, timeout.Token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new UnavailableException(cluster.Leader is null
                ? "No leader: a majority of members is not reachable."
                : "Timed out confirming the latest committed state with a majority; retry.");
        }
    }
}
