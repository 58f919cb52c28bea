// The span of applying a log entry, on the member that proposed it and only when the proposal
// is traced (its ProposalContext carries the parent); every other apply starts nothing.
// Invariant: with tracing off nothing here runs beyond a comparison of the context's trace
// with default; the span never names keys or values, only the entry's index and size.
using System.Diagnostics;

namespace KvDb.Core.State;

/// <summary>kvdb's trace source in the state machine (<c>KvDb.Core</c>).</summary>
public static class ApplyTracing
{
    /// <summary>The name of the <see cref="ActivitySource"/> apply spans come from.</summary>
    public const string SourceName = "KvDb.Core";

    private static readonly ActivitySource Source = new(SourceName);

    /// <summary>Starts the span of applying entry <paramref name="index"/> under <paramref name="parent"/>; null when nobody listens or the parent is not sampled.</summary>
    public static Activity? StartApply(ActivityContext parent, long index, int commands)
    {
        var activity = Source.StartActivity("kvdb.apply", ActivityKind.Internal, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("kvdb.raft.index", index);
            activity.SetTag("kvdb.batch.size", commands);
        }

        return activity;
    }
}
