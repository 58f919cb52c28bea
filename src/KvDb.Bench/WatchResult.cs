// The watch section of a run's report: how the measured puts reached the watchers and what the
// watched member's memory did. Invariants: the delivery counts are DeliveryAccounting's (so
// Delivered + Missing = Expected); Latency is null exactly when nothing was delivered, and its
// percentiles are ordered like the operations'; a member gauge /metrics did not give is null.
namespace KvDb.Bench;

/// <summary>What watch mode measured.</summary>
public sealed class WatchResult
{
    /// <summary>Watches kept open.</summary>
    public required int Watchers { get; init; }

    /// <summary>Key ranges they were spread over.</summary>
    public required int Ranges { get; init; }

    /// <summary>The member that served them.</summary>
    public required Uri Endpoint { get; init; }

    /// <summary>Seconds until every watch had opened and caught up.</summary>
    public required double OpenSeconds { get; init; }

    /// <summary>Seconds from the last answered request until every watcher had seen the last measured put's revision (or the wait gave up).</summary>
    public required double CatchUpSeconds { get; init; }

    /// <summary>Watchers whose stream ended or failed before the end.</summary>
    public required int FailedWatchers { get; init; }

    /// <summary>Watchers that had not seen the last measured put's revision when the wait ended.</summary>
    public required int BehindWatchers { get; init; }

    /// <summary>Why the first failed watcher failed, or null.</summary>
    public string? FirstFailure { get; init; }

    /// <summary>Measured successful puts whose answer had no revision; they could not be matched.</summary>
    public required long PutsWithoutRevision { get; init; }

    /// <summary>The delivery counts.</summary>
    public required Deliveries Deliveries { get; init; }

    /// <summary>Delivery latency from each put's acknowledgement to each matching watcher, in ms; null when nothing was delivered.</summary>
    public LatencySummary? Latency { get; init; }

    /// <summary>The member's gauges before the watches opened.</summary>
    public required MemberSample Before { get; init; }

    /// <summary>The member's gauges after the run, with the watches still open.</summary>
    public required MemberSample After { get; init; }

    /// <summary>Reduces a finished fleet (no longer reading) and the puts it was sent to.</summary>
    public static WatchResult From(WatchFleet fleet, PutAcknowledgements acks, long highestTrackableMicroseconds, TimeSpan catchUp, int behind, MemberSample before, MemberSample after, Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        ArgumentNullException.ThrowIfNull(acks);
        var deliveries = DeliveryAccounting.Count(fleet.Ranges, acks.All, [.. fleet.Watchers.Select(w => w.Receipts)], highestTrackableMicroseconds);
        return new WatchResult
        {
            Watchers = fleet.Watchers.Count,
            Ranges = fleet.Ranges.Count,
            Endpoint = endpoint,
            OpenSeconds = Math.Round(fleet.OpenTime.TotalSeconds, 3),
            CatchUpSeconds = Math.Round(catchUp.TotalSeconds, 3),
            FailedWatchers = fleet.Watchers.Count(w => w.Failure is not null),
            BehindWatchers = behind,
            FirstFailure = fleet.Watchers.Select(w => w.Failure).FirstOrDefault(f => f is not null),
            PutsWithoutRevision = acks.WithoutRevision,
            Deliveries = deliveries,
            Latency = LatencySummary.Of(deliveries.Latency),
            Before = before,
            After = after,
        };
    }
}
