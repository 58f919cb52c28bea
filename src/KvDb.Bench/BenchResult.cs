// The outcome of a run, reduced from the recorder to the numbers that get printed.
// Invariants: Ops counts successful requests only (not-found gets included), and throughput
// is Ops over the measured elapsed time; latency percentiles come from the HDR histograms of
// those same requests, so for each summary p50 <= p90 <= p99 <= p99.9 <= max; Latency is null
// exactly when Ops is 0. Operations lists the kinds in the mix, in OperationKind order. Watch is
// null exactly when watch mode was off (--watchers 0).
using HdrHistogram;

namespace KvDb.Bench;

/// <summary>Latency percentiles in milliseconds.</summary>
public sealed record LatencySummary(double P50, double P90, double P99, double P999, double Max, double Mean)
{
    /// <summary>The percentiles of <paramref name="microseconds"/> (a histogram in µs), in ms.</summary>
    public static LatencySummary? Of(HistogramBase microseconds)
    {
        if (microseconds.TotalCount == 0)
            return null;
        static double Ms(double us) => Math.Round(us / 1000.0, 3);
        return new LatencySummary(
            Ms(microseconds.GetValueAtPercentile(50)),
            Ms(microseconds.GetValueAtPercentile(90)),
            Ms(microseconds.GetValueAtPercentile(99)),
            Ms(microseconds.GetValueAtPercentile(99.9)),
            Ms(microseconds.GetMaxValue()),
            Ms(microseconds.GetMean()));
    }
}

/// <summary>The numbers of one operation kind, or of all together.</summary>
public sealed record OperationSummary(string Name, long Ops, double OpsPerSecond, long NotFound, long Errors, LatencySummary? Latency);

/// <summary>Everything a run reports.</summary>
public sealed class BenchResult
{
    /// <summary>The options the run used.</summary>
    public required BenchOptions Options { get; init; }

    /// <summary>Seconds from the end of the warm-up until the last measured request was answered.</summary>
    public required double ElapsedSeconds { get; init; }

    /// <summary>Each kind in the mix.</summary>
    public required IReadOnlyList<OperationSummary> Operations { get; init; }

    /// <summary>All kinds together.</summary>
    public required OperationSummary Total { get; init; }

    /// <summary>Failed requests by error kind ("http 503", "timeout", "connection", ...), sorted by name.</summary>
    public required IReadOnlyDictionary<string, long> Errors { get; init; }

    /// <summary>Latencies beyond the histograms' range (recorded as its top).</summary>
    public long ClampedLatencies { get; init; }

    /// <summary>What watch mode measured; null when it was off.</summary>
    public WatchResult? Watch { get; init; }

    /// <summary>Reduces <paramref name="recording"/>, measured over <paramref name="elapsed"/>, for <paramref name="options"/>, with watch mode's <paramref name="watch"/> (null when off).</summary>
    public static BenchResult From(BenchOptions options, Recording recording, TimeSpan elapsed, WatchResult? watch = null)
    {
        var seconds = Math.Max(elapsed.TotalSeconds, 1e-9);
        var operations = new List<OperationSummary>();
        var all = recording.Histograms[0].Copy();
        all.Reset();
        long notFound = 0, errors = 0;
        for (var k = 0; k < OperationKinds.Count; k++)
        {
            var kind = (OperationKind)k;
            var histogram = recording.Histograms[k];
            all.Add(histogram);
            notFound += recording.NotFound[k];
            errors += recording.Errors[k];
            if (options.Mix.Has(kind) || histogram.TotalCount > 0 || recording.Errors[k] > 0)
                operations.Add(Summary(OperationKinds.Name(kind), histogram, recording.NotFound[k], recording.Errors[k], seconds));
        }

        return new BenchResult
        {
            Options = options,
            ElapsedSeconds = Math.Round(elapsed.TotalSeconds, 3),
            Operations = operations,
            Total = Summary("total", all, notFound, errors, seconds),
            Errors = new SortedDictionary<string, long>(recording.ErrorKinds.ToDictionary(), StringComparer.Ordinal),
            ClampedLatencies = recording.Clamped,
            Watch = watch,
        };
    }

    private static OperationSummary Summary(string name, HistogramBase histogram, long notFound, long errors, double seconds)
        => new(name, histogram.TotalCount, Math.Round(histogram.TotalCount / seconds, 1), notFound, errors, LatencySummary.Of(histogram));

    /// <summary>"closed loop" or "open loop".</summary>
    public string Mode => Options.TargetRate is null ? "closed-loop" : "open-loop";

    /// <summary>The name of the read consistency as the flag spells it.</summary>
    public string Consistency => Options.Consistency is BenchConsistency.Local ? "local" : "linearizable";

    /// <summary>True when an open-loop run fell more than 5% short of its target rate (too few workers, or a saturated server).</summary>
    public bool MissedTargetRate => Options.TargetRate is { } rate && (Total.OpsPerSecond + Total.Errors / Math.Max(ElapsedSeconds, 1e-9)) < 0.95 * rate;
}
