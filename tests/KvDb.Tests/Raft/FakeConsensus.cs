// An IConsensus that does in memory what the Raft member does for writes and reads, with
// switches for the cases the tests need: who leads, entries that never commit, a term that
// moves, and how many heartbeat rounds were asked for.
using System.Collections.Concurrent;
using DotNext.Net.Cluster.Consensus.Raft;
using KvDb.Core.Commands;
using KvDb.Core.State;

namespace KvDb.Tests.Raft;

internal sealed class FakeConsensus : IConsensus
{
    public static readonly Uri LeaderUri = new("http://127.0.0.1:1/");

    private readonly TaskCompletionSource<LeaderAddress> leaderElected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<long, TaskCompletionSource> applied = new();
    private long lastIndex;
    private long appliedIndex;
    private int heartbeatRounds;

    public FakeConsensus(bool leading = true, long term = 1)
    {
        Term = term;
        LeadershipStart = (term, 0);
        if (leading)
            Elect(new LeaderAddress(true, LeaderUri));
    }

    /// <summary>Every entry replicated, in order, with its decoded commands.</summary>
    public ConcurrentQueue<(BinaryLogEntry Entry, KvCommand[] Commands)> Entries { get; } = new();

    /// <summary>While set, replicated entries wait here before they commit.</summary>
    public TaskCompletionSource? HoldCommits { get; set; }

    /// <summary>Called when a replication round (heartbeat) is asked for.</summary>
    public Func<ValueTask>? OnHeartbeatRound { get; set; }

    public int HeartbeatRounds => Volatile.Read(ref heartbeatRounds);

    public Task Started => Task.CompletedTask;

    public LeaderAddress? Leader { get; private set; }

    public long Term { get; set; }

    public (long Term, long Index) LeadershipStart { get; set; }

    public CancellationToken LeadershipToken => Leader is { IsThisMember: true } ? CancellationToken.None : new CancellationToken(canceled: true);

    public long CommitIndex { get; set; }

    public long LastIndex => Interlocked.Read(ref lastIndex);

    public long AppliedIndex => Interlocked.Read(ref appliedIndex);

    public void Elect(LeaderAddress leader)
    {
        Leader = leader;
        leaderElected.TrySetResult(leader);
    }

    public Task<LeaderAddress> WaitForLeaderAsync(CancellationToken token) => leaderElected.Task.WaitAsync(token);

    public async ValueTask ReplicateAsync(BinaryLogEntry entry, CancellationToken token)
    {
        var index = Interlocked.Increment(ref lastIndex);
        var (_, commands) = LogEntryCodec.Decode(entry.Content);
        Entries.Enqueue((entry, commands));
        if (HoldCommits is { } hold)
            await hold.Task.WaitAsync(token);

        // What KvStateMachine does when it applies the entry: one result per command, the
        // entry's index as every written key's revision.
        var context = (ProposalContext)entry.Context!;
        for (var i = 0; i < commands.Length; i++)
            context.Results[i] = new CommandResult(CommandOutcome.Applied, index);
        context.Index = index;
        CommitIndex = long.Max(CommitIndex, index);
        Apply(index);
    }

    public async ValueTask ForceReplicationAsync(CancellationToken token)
    {
        Interlocked.Increment(ref heartbeatRounds);
        if (OnHeartbeatRound is { } round)
            await round();
    }

    /// <summary>Marks everything up to <paramref name="index"/> applied here.</summary>
    public void Apply(long index)
    {
        long current;
        while ((current = Interlocked.Read(ref appliedIndex)) < index && Interlocked.CompareExchange(ref appliedIndex, index, current) != current)
        {
        }

        foreach (var (waiting, signal) in applied)
        {
            if (waiting <= index)
                signal.TrySetResult();
        }
    }

    public ValueTask WaitForApplyAsync(long index, CancellationToken token)
    {
        if (AppliedIndex >= index)
            return ValueTask.CompletedTask;

        var signal = applied.GetOrAdd(index, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (AppliedIndex >= index)
            signal.TrySetResult();
        return new ValueTask(signal.Task.WaitAsync(token));
    }
}
