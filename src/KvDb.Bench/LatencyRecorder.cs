// Records the outcome and latency of every request into HDR histograms (HdrHistogram), one per
// operation kind, sharded so workers rarely share a lock and memory stays bounded however many
// workers there are. Invariants:
//  - Latencies are whole microseconds in [0, HighestTrackableMicroseconds]; a larger value is
//    recorded as the highest (and counted in Clamped), never dropped, so counts stay exact.
//  - Only successful requests (including gets that found no key) enter the histograms; errors
//    are counted by kind ("http 503", "timeout", "connection", ...) and by operation.
//  - Progress counters count every request, warm-up included; histograms and result counts only
//    the measured ones, so warm-up never leaks into the results.
using HdrHistogram;

namespace KvDb.Bench;

/// <summary>What became of one request.</summary>
public enum RequestOutcome
{
    /// <summary>Answered as expected (put stored, get found the key).</summary>
    Success,

    /// <summary>A get answered that the key does not exist: a valid answer, counted separately.</summary>
    NotFound,

    /// <summary>An error status, a timeout or a broken connection.</summary>
    Error,
}

/// <summary>Thread-safe recorder of request outcomes and latencies.</summary>
public sealed class LatencyRecorder
{
    /// <summary>Significant decimal digits kept by the histograms: values are exact to 0.1%.</summary>
    public const int SignificantDigits = 3;

    private readonly Shard[] shards;

    /// <summary>A recorder with <paramref name="shardCount"/> independently locked shards tracking latencies up to <paramref name="highestTrackableMicroseconds"/>.</summary>
    public LatencyRecorder(int shardCount, long highestTrackableMicroseconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(highestTrackableMicroseconds, 2);
        HighestTrackableMicroseconds = highestTrackableMicroseconds;
        shards = new Shard[shardCount];
        for (var i = 0; i < shards.Length; i++)
            shards[i] = new Shard(highestTrackableMicroseconds);
    }

    /// <summary>The largest latency the histograms distinguish; larger ones are recorded as this.</summary>
    public long HighestTrackableMicroseconds { get; }

    /// <summary>Records one request issued by worker <paramref name="worker"/>; <paramref name="error"/> names the error when <paramref name="outcome"/> is Error.</summary>
    public void Record(int worker, OperationKind kind, RequestOutcome outcome, long microseconds, bool measured, string? error = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(worker);
        var shard = shards[worker % shards.Length];
        lock (shard)
        {
            shard.Completed++;
            if (outcome is RequestOutcome.Error)
                shard.Failed++;
            if (!measured)
                return;

            var k = (int)kind;
            if (outcome is RequestOutcome.Error)
            {
                shard.Errors[k]++;
                var name = error ?? "error";
                shard.ErrorKinds[name] = shard.ErrorKinds.GetValueOrDefault(name) + 1;
                return;
            }

            if (outcome is RequestOutcome.NotFound)
                shard.NotFound[k]++;
            if (microseconds > HighestTrackableMicroseconds)
            {
                microseconds = HighestTrackableMicroseconds;
                shard.Clamped++;
            }

            shard.Histogram(k).RecordValue(Math.Max(0, microseconds));
        }
    }

    /// <summary>Requests finished and failed so far, warm-up included (for the progress line).</summary>
    public (long Completed, long Failed) Progress()
    {
        long completed = 0, failed = 0;
        foreach (var shard in shards)
        {
            lock (shard)
            {
                completed += shard.Completed;
                failed += shard.Failed;
            }
        }

        return (completed, failed);
    }

    /// <summary>The measured requests of all shards merged.</summary>
    public Recording Snapshot()
    {
        var histograms = new HistogramBase[OperationKinds.Count];
        var notFound = new long[OperationKinds.Count];
        var errors = new long[OperationKinds.Count];
        var errorKinds = new SortedDictionary<string, long>(StringComparer.Ordinal);
        long clamped = 0;
        for (var k = 0; k < histograms.Length; k++)
            histograms[k] = NewHistogram(HighestTrackableMicroseconds);

        foreach (var shard in shards)
        {
            lock (shard)
            {
                for (var k = 0; k < histograms.Length; k++)
                {
                    if (shard.HistogramOrNull(k) is { } histogram)
                        histograms[k].Add(histogram);
                    notFound[k] += shard.NotFound[k];
                    errors[k] += shard.Errors[k];
                }

                foreach (var (name, count) in shard.ErrorKinds)
                    errorKinds[name] = errorKinds.GetValueOrDefault(name) + count;
                clamped += shard.Clamped;
            }
        }

        return new Recording(histograms, notFound, errors, errorKinds, clamped);
    }

    /// <summary>A histogram of microseconds with the recorder's precision.</summary>
    public static HistogramBase NewHistogram(long highestTrackableMicroseconds)
        => new LongHistogram(1, highestTrackableMicroseconds, SignificantDigits);

    // One lock's worth of state. Histograms are created on first use so a put-only run does
    // not pay for get histograms.
    private sealed class Shard(long highest)
    {
        private readonly HistogramBase?[] histograms = new HistogramBase?[OperationKinds.Count];

        public long Completed;
        public long Failed;
        public long Clamped;
        public readonly long[] NotFound = new long[OperationKinds.Count];
        public readonly long[] Errors = new long[OperationKinds.Count];
        public readonly Dictionary<string, long> ErrorKinds = new(StringComparer.Ordinal);

        public HistogramBase Histogram(int kind) => histograms[kind] ??= NewHistogram(highest);

        public HistogramBase? HistogramOrNull(int kind) => histograms[kind];
    }
}

/// <summary>The measured requests of a run: per operation kind, successes in a latency histogram (µs), not-found gets and errors; and errors by kind.</summary>
/// <param name="Histograms">Latency in microseconds of successful requests, indexed by <see cref="OperationKind"/>.</param>
/// <param name="NotFound">Gets answered "no such key", indexed by kind (also in the histograms).</param>
/// <param name="Errors">Failed requests, indexed by kind.</param>
/// <param name="ErrorKinds">Failed requests by error kind, e.g. "http 503", "timeout", "connection".</param>
/// <param name="Clamped">Latencies above the histogram's range, recorded as its highest value.</param>
public sealed record Recording(
    IReadOnlyList<HistogramBase> Histograms,
    IReadOnlyList<long> NotFound,
    IReadOnlyList<long> Errors,
    IReadOnlyDictionary<string, long> ErrorKinds,
    long Clamped);
