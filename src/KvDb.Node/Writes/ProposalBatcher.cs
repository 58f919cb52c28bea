// Group commit for proposals: concurrent writes share one Raft log entry and one round trip.
// Invariants:
//  - A request is answered only after its entry is committed by a majority and applied here.
//    DotNext's WAL fsyncs an entry before it commits it, so the leader's copy is on disk
//    before any client hears "204": an acknowledged write survives crashes.
//  - At most MaxInFlight batches are being committed at once. A slot is taken *before* the
//    queue is drained, so while the log is busy requests pile up into the next, larger batch.
//  - A batch never holds two commands on the same key: the second waits for the next batch.
//    Transactions count with every key their branches write; one that deletes a range goes
//    into a batch of its own. At most one contender joins each lock or election queue per
//    batch, so their create revisions (queue order, fencing tokens) differ.
//    So every write of a key gets its own revision (the index of its entry), and an ETag
//    names exactly one value.
//  - On a follower the batch is forwarded to the leader in one HTTP request; the answer
//    waits until this member has applied it too, so a client reads its own write here.
//  - A command some member cannot apply (ClusterVersionGate) is refused before it is queued,
//    here on every member that proposes, so no feature has to check for itself.
//  - The queue is bounded (--max-pending-writes): a write that finds it full is refused at
//    once with 503 and Retry-After, nothing proposed, instead of waiting behind a backlog
//    it would time out in anyway.
//  - Tracing (KvdbTracing): a traced proposal gets a kvdb.propose span, from queueing to its
//    answer; a batch is traced under its first traced proposal (kvdb.batch, linked to the
//    others), with kvdb.forward or kvdb.replicate (and the apply, through ProposalContext) under
//    it. Untraced, ProposeAsync and the batch pay one HasListeners check each.
//  - Stopping takes no new writes and waits for the batches in flight to finish (each within
//    its request timeout); writes still queued are refused as not applied.
using System.Diagnostics;
using System.Threading.Channels;
using DotNext.Net.Cluster.Consensus.Raft;
using KvDb.Core.Commands;
using KvDb.Core.State;
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using KvDb.Node.Observability;
using KvDb.Node.Raft;

namespace KvDb.Node.Writes;

/// <summary>The result of one committed proposal: the index of its log entry, what applying it did and the key's revision.</summary>
public readonly record struct ProposalResult(long Index, CommandOutcome Outcome, long Revision, bool Replayed = false, byte[]? Reply = null)
{
    /// <summary>Combines an entry index with one command's result.</summary>
    public ProposalResult(long index, CommandResult result)
        : this(index, result.Outcome, result.Revision, result.Replayed, result.Reply)
    {
    }
}

/// <summary>Proposes commands through Raft.</summary>
public interface IProposer
{
    /// <summary>Proposes <paramref name="command"/> and completes once it is committed, applied here and durable.</summary>
    /// <param name="command">The command.</param>
    /// <param name="mayForward">False for proposals that were already forwarded by a follower: they must not bounce again.</param>
    /// <param name="token">Cancels the wait (the command may still be applied).</param>
    /// <exception cref="UnavailableException">No leader or quorum within the request timeout, or the queue is full.</exception>
    Task<ProposalResult> ProposeAsync(KvCommand command, bool mayForward, CancellationToken token);
}

/// <summary>Batches concurrent proposals into Raft log entries, on the leader or forwarded to it.</summary>
public sealed partial class ProposalBatcher(
    IConsensus node,
    IWriteForwarder forwarder,
    NodeOptions options,
    CommandRegistry registry,
    ICommandGate clusterVersion,
    ILogger<ProposalBatcher> logger) : BackgroundService, IProposer
{
    private const int MaxInFlight = 4;
    private const int MaxBatchCommands = 2048;
    private const int MaxBatchBytes = 4 << 20;
    private static readonly TimeSpan RetryBackoff = TimeSpan.FromMilliseconds(25);

    private readonly Channel<Proposal> queue = Channel.CreateBounded<Proposal>(new BoundedChannelOptions(options.MaxPendingWrites)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly SemaphoreSlim slots = new(MaxInFlight, MaxInFlight);

    private volatile bool stopping;

    // Proposals whose key was already in the batch being built; only the drain loop touches it.
    private readonly Queue<Proposal> heldBack = new();

    // The keys of the batch being built; only the drain loop touches it.
    private readonly BatchClaims claims = new(registry);

    /// <inheritdoc/>
    public Task<ProposalResult> ProposeAsync(KvCommand command, bool mayForward, CancellationToken token)
    {
        // A command no feature registered is refused here, to its caller: found in the drain
        // loop, it would end the loop and with it every write of this member.
        if (registry.TryHandlerOf(command) is not { } handler)
            return Task.FromException<ProposalResult>(new InvalidOperationException($"No feature of this build registered {command.GetType().Name}; it cannot be proposed."));

        // A kind of command some member cannot apply never reaches the log: that member would
        // stop at the entry for good (see ClusterVersionGate).
        if (clusterVersion.RefusalOf(handler) is { } refusal)
            return Task.FromException<ProposalResult>(refusal);

        if (KvdbTracing.IsOn && Activity.Current is not null)
            return ProposeTracedAsync(command, handler, mayForward, token);
        return Enqueue(new Proposal(command, handler, mayForward), token);
    }

    private Task<ProposalResult> Enqueue(Proposal proposal, CancellationToken token)
    {
        if (!queue.Writer.TryWrite(proposal))
        {
            return Task.FromException<ProposalResult>(stopping
                ? new UnavailableException("This member is shutting down.")
                : new UnavailableException($"This member has {options.MaxPendingWrites} writes waiting to be proposed (--max-pending-writes); retry shortly."));
        }

        return proposal.Completion.Task.WaitAsync(token);
    }

    // A proposal made under a span: kvdb.propose covers its wait in the queue and its batch.
    private async Task<ProposalResult> ProposeTracedAsync(KvCommand command, CommandHandler handler, bool mayForward, CancellationToken token)
    {
        using var span = KvdbTracing.Source.StartActivity("kvdb.propose");
        span?.SetTag("kvdb.command", command.GetType().Name);
        try
        {
            var result = await Enqueue(new TracedProposal(command, handler, mayForward, span?.Context ?? default), token).ConfigureAwait(false);
            span?.SetTag("kvdb.raft.index", result.Index);
            span?.SetTag("kvdb.outcome", result.Outcome.ToString());
            return result;
        }
        catch (Exception e)
        {
            span?.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await node.Started.WaitAsync(stoppingToken).ConfigureAwait(false);
        var reader = queue.Reader;
        try
        {
            while (heldBack.Count > 0 || await reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                await slots.WaitAsync(stoppingToken).ConfigureAwait(false);
                var batch = Drain(reader);
                if (batch.Count == 0)
                {
                    slots.Release();
                    continue;
                }

                _ = CommitAndReleaseAsync(batch);
            }
        }
        finally
        {
            stopping = true;
            queue.Writer.TryComplete();

            // Never proposed, so certainly not applied: refuse them at once.
            while (heldBack.TryDequeue(out var held))
                held.Completion.TrySetException(new UnavailableException("This member is shutting down."));
            while (reader.TryRead(out var left))
                left.Completion.TrySetException(new UnavailableException("This member is shutting down."));

            // Batches in flight end by themselves (committed, refused or timed out); their
            // clients hear the outcome instead of "shutting down" while the write may commit.
            for (var i = 0; i < MaxInFlight; i++)
                await slots.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private List<Proposal> Drain(ChannelReader<Proposal> reader)
    {
        var batch = new List<Proposal>();
        claims.Clear();
        var bytes = 0;
        var deferred = new List<Proposal>();

        // Proposals held back last time go first, in the order they arrived.
        while (!claims.IsClosed && batch.Count < MaxBatchCommands && bytes < MaxBatchBytes && (heldBack.TryDequeue(out var proposal) || reader.TryRead(out proposal)))
        {
            if (!claims.TryAdd(proposal.Handler, proposal.Command))
            {
                deferred.Add(proposal);
                continue;
            }

            batch.Add(proposal);
            bytes += proposal.Command.ApproximateSize;
        }

        var later = heldBack.ToArray();
        heldBack.Clear();
        foreach (var proposal in deferred.Concat(later))
            heldBack.Enqueue(proposal);
        return batch;
    }

    private async Task CommitAndReleaseAsync(List<Proposal> batch)
    {
        using var span = KvdbTracing.IsOn ? StartBatchSpan(batch) : null;
        try
        {
            await CommitAsync(batch).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            span?.SetStatus(ActivityStatusCode.Error, e.Message);
            var error = Translate(e);
            foreach (var proposal in batch)
                proposal.Completion.TrySetException(error);
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task CommitAsync(List<Proposal> batch)
    {
        using var timeout = new CancellationTokenSource(options.RequestTimeout);
        var token = timeout.Token;

        while (true)
        {
            var leader = node.Leader ?? await WaitForLeaderAsync(token).ConfigureAwait(false);
            if (leader.IsThisMember)
            {
                await ReplicateAsync(batch, token).ConfigureAwait(false);
                return;
            }

            var forwardable = batch.FindAll(static p => p.MayForward);
            if (forwardable.Count < batch.Count)
            {
                foreach (var proposal in batch)
                {
                    if (!proposal.MayForward)
                        proposal.Completion.TrySetException(new UnavailableException("This member is no longer the leader."));
                }

                batch = forwardable;
            }

            if (batch.Count == 0)
                return;

            try
            {
                await ForwardAsync(leader.PeerUri, batch, token).ConfigureAwait(false);
                return;
            }
            catch (HttpRequestException e) when (e.HttpRequestError is HttpRequestError.ConnectionError)
            {
                // The request never reached the leader we knew (it may be down and not yet
                // replaced), so nothing was applied: wait a moment and try the current leader.
                await Task.Delay(RetryBackoff, token).ConfigureAwait(false);
            }
        }
    }

    // The batch's span, in the trace of its first traced proposal and linked to the others';
    // null when none of its proposals is traced.
    private static Activity? StartBatchSpan(List<Proposal> batch)
    {
        ActivityContext parent = default;
        List<ActivityLink>? links = null;
        foreach (var proposal in batch)
        {
            if (proposal.Trace == default)
                continue;
            if (parent == default)
                parent = proposal.Trace;
            else
                (links ??= []).Add(new ActivityLink(proposal.Trace));
        }

        if (parent == default)
            return null;
        var span = KvdbTracing.Source.StartActivity("kvdb.batch", ActivityKind.Internal, parent, links: links);
        span?.SetTag("kvdb.batch.size", batch.Count);
        return span;
    }

    private async Task<LeaderAddress> WaitForLeaderAsync(CancellationToken token)
    {
        try
        {
            return await node.WaitForLeaderAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            throw new UnavailableException("No leader: a majority of members is not reachable.");
        }
    }

    private async Task ReplicateAsync(List<Proposal> batch, CancellationToken token)
    {
        var commands = new KvCommand[batch.Count];
        for (var i = 0; i < commands.Length; i++)
            commands[i] = batch[i].Command;

        // The entry must carry the term of the leadership it is proposed under, never the
        // current term: a deposed leader learns the new term a moment before DotNext tears its
        // leader state down, and an entry appended in that moment with the *new* term would share
        // (index, term) with the new leader's entry at that index. Raft's log matching would then
        // accept it as the leader's, and this member would commit and apply a write nobody else
        // has (seen with SIGSTOP/SIGCONT). Under the old term the entry is merely overwritten.
        // The context names the same term, so the applier can tell this entry from one a later
        // leader wrote at the same index (see ProposalContext).
        var (term, _) = node.LeadershipStart;
        if (term != node.Term)
            throw new UnavailableException("This member is ceasing to be the leader; nothing was proposed, retry.");
        using var span = KvdbTracing.StartChild("kvdb.replicate");
        span?.SetTag("kvdb.raft.term", term);
        var context = new ProposalContext(term, commands.Length) { Trace = span?.Context ?? default };
        var payload = LogEntryCodec.Encode(commands, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await node.ReplicateAsync(new BinaryLogEntry { Term = term, Content = payload, Context = context }, token).ConfigureAwait(false);
        span?.SetTag("kvdb.raft.index", context.Index);

        // Applied, yet not through this context: another entry took its index, so whether these
        // commands took effect is unknown. Never answer with results that are not theirs.
        if (context.Index is 0)
            throw new UnavailableException("Leadership changed while the write was being committed; it may or may not have been applied.", outcomeUnknown: true);

        var index = context.Index;
        if (!batch.TrueForAll(static p => p.MayForward))
        {
            // Followers that forwarded part of this batch wait to apply it themselves; push the
            // new commit index now instead of on the next heartbeat.
            _ = PushCommitIndexAsync();
        }

        for (var i = 0; i < batch.Count; i++)
            batch[i].Completion.TrySetResult(new(index, context.Results[i]));
        LogBatchCommitted(batch.Count, index);
        WriteInstruments.ProposalBatchWrites.Record(batch.Count);
    }

    private async Task PushCommitIndexAsync()
    {
        try
        {
            await node.ForceReplicationAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NotLeaderException or OperationCanceledException or ObjectDisposedException)
        {
            // Followers will learn the commit index from the next heartbeat or the new leader.
        }
    }

    private async Task ForwardAsync(Uri leader, List<Proposal> batch, CancellationToken token)
    {
        var commands = new KvCommand[batch.Count];
        for (var i = 0; i < commands.Length; i++)
            commands[i] = batch[i].Command;

        ProposalResult[] results;
        using (var span = KvdbTracing.StartChild("kvdb.forward", ActivityKind.Client))
        {
            span?.SetTag("server.address", leader.Host);
            span?.SetTag("server.port", leader.Port);
            results = await forwarder.ForwardAsync(leader, commands, token).ConfigureAwait(false);
        }

        var highest = 0L;
        foreach (var result in results)
            highest = long.Max(highest, result.Index);

        using (var span = KvdbTracing.StartChild("kvdb.wait_apply"))
        {
            span?.SetTag("kvdb.raft.index", highest);
            await node.WaitForApplyAsync(highest, token).ConfigureAwait(false);
        }
        for (var i = 0; i < batch.Count; i++)
            batch[i].Completion.TrySetResult(results[i]);
        LogBatchForwarded(batch.Count, highest);
    }

    private static Exception Translate(Exception e) => e switch
    {
        UnavailableException or InsufficientStorageException => e,
        NotLeaderException => new UnavailableException("Leadership changed while the write was being committed; it may or may not have been applied.", outcomeUnknown: true, e),
        ObjectDisposedException => new UnavailableException("This member is shutting down.", outcomeUnknown: true, e),
        OperationCanceledException => new UnavailableException("Timed out waiting for a majority to commit the write; it may or may not have been applied.", outcomeUnknown: true, e),
        HttpRequestException => new UnavailableException($"Forwarding to the leader failed: {e.Message}", outcomeUnknown: true, e),
        _ => e,
    };

    private class Proposal(KvCommand command, CommandHandler handler, bool mayForward)
    {
        /// <summary>The proposal's kvdb.propose span; default when it is not traced.</summary>
        public virtual ActivityContext Trace => default;

        public KvCommand Command { get; } = command;

        public CommandHandler Handler { get; } = handler;

        public bool MayForward { get; } = mayForward;

        public TaskCompletionSource<ProposalResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    // A subclass, so untraced proposals stay as small as before.
    private sealed class TracedProposal(KvCommand command, CommandHandler handler, bool mayForward, ActivityContext trace) : Proposal(command, handler, mayForward)
    {
        public override ActivityContext Trace { get; } = trace;
    }

    [LoggerMessage(Level = LogLevel.Trace, Message = "Committed {Count} write(s) as log entry {Index}")]
    private partial void LogBatchCommitted(int count, long index);

    [LoggerMessage(Level = LogLevel.Trace, Message = "Forwarded {Count} write(s) to the leader; applied here up to {Index}")]
    private partial void LogBatchForwarded(int count, long index);
}
