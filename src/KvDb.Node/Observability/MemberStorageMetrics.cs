// The storage metrics of this member's engine, for exporters created before the member has
// started (the engine is opened when the Raft member starts).
// Invariants: Current is null until the member has started; compaction handlers added at any
// time receive every compaction finished after the member started.
using KvDb.Core.Operations;
using KvDb.Node.Raft;

namespace KvDb.Node.Observability;

/// <summary>Forwards to the started member's store when it reports storage figures.</summary>
public sealed class MemberStorageMetrics : IStorageMetricsSource
{
    private readonly IRaftMembership node;
    private readonly LocalState state;
    private event Action<CompactionSummary>? Handlers;

    /// <summary>Follows <paramref name="node"/>; subscribes to its engine once it has started.</summary>
    public MemberStorageMetrics(IRaftMembership node, LocalState state)
    {
        this.node = node;
        this.state = state;
        _ = node.Started.ContinueWith(
            started =>
            {
                if (started.IsCompletedSuccessfully && state.Store is IStorageMetricsSource source)
                    source.CompactionCompleted += summary => Handlers?.Invoke(summary);
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <inheritdoc/>
    public StorageFigures? Current => node.IsStarted && state.Store is IStorageMetricsSource source ? source.Current : null;

    /// <inheritdoc/>
    public event Action<CompactionSummary>? CompactionCompleted
    {
        add => Handlers += value;
        remove => Handlers -= value;
    }
}
