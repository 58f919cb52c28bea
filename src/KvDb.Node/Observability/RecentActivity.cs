// This member's key-value operations over the last minutes, for the dashboard's activity charts:
// per 5-second interval, how many reads and writes it served and their latency distribution.
// Prometheus histograms (/metrics) only ever grow, so a rate or a percentile of the last minutes
// needs a scraper; this keeps the few minutes a browser needs in the member itself.
// Invariants:
//  - Memory is fixed: one slot per interval of the window, each a count per latency bucket for
//    reads and for writes; recording is two Interlocked operations and no allocation.
//  - A slot is cleared, under its lock, when the clock first reaches an interval that maps to it;
//    a snapshot reports an interval only from a slot stamped with it, else zero operations, so
//    figures are never carried over from an interval the window has left.
//  - Latency buckets are a quarter of a power of two wide (about 19%), from 25 µs to 26 s (the
//    last bucket takes everything slower): a percentile is the geometric middle of its bucket.
//  - What counts: requests to the key routes (/v1/kv, /v1/kv/{key}, /{key}), /v1/txn and a list's
//    items (/v1/lists/...); GET and HEAD are reads, other methods writes (a transaction is a
//    write). Streams that stay open (a list followed with follow=true, watches) are left out:
//    their duration is not a latency.
namespace KvDb.Node.Observability;

/// <summary>What a request was, for the activity figures.</summary>
public enum KvOperationKind
{
    /// <summary>Not a key-value operation.</summary>
    None,

    /// <summary>A read.</summary>
    Read,

    /// <summary>A write.</summary>
    Write,
}

/// <summary>One interval's figures.</summary>
/// <param name="Start">When the interval began.</param>
/// <param name="Reads">Reads served.</param>
/// <param name="Writes">Writes served.</param>
/// <param name="ReadP50">The median read latency; null without reads.</param>
/// <param name="ReadP99">The 99th percentile read latency; null without reads.</param>
/// <param name="WriteP50">The median write latency; null without writes.</param>
/// <param name="WriteP99">The 99th percentile write latency; null without writes.</param>
public readonly record struct ActivityInterval(
    DateTimeOffset Start, long Reads, long Writes, TimeSpan? ReadP50, TimeSpan? ReadP99, TimeSpan? WriteP50, TimeSpan? WriteP99);

/// <summary>Records key-value operations per interval over the last minutes.</summary>
public sealed class RecentActivity
{
    /// <summary>The length of one interval.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>The longest window a snapshot can cover.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(10);

    /// <summary>How many minutes <c>GET /v1/activity</c> and the dashboard show when not asked.</summary>
    public const int DefaultMinutes = 5;

    /// <summary>The most minutes a request may ask for: the whole window.</summary>
    public static int MaxMinutes => (int)Window.TotalMinutes;

    /// <summary>Reads the <c>minutes</c> query parameter: <see cref="DefaultMinutes"/> when absent, false when not 1 to <see cref="MaxMinutes"/>.</summary>
    public static bool TryReadMinutes(HttpRequest request, out int minutes)
    {
        minutes = DefaultMinutes;
        return request.Query["minutes"] is not { Count: > 0 } given
            || (int.TryParse(given.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out minutes) && minutes >= 1 && minutes <= MaxMinutes);
    }

    /// <summary>The problem-details detail for a <c>minutes</c> that <see cref="TryReadMinutes"/> refused.</summary>
    public static string MinutesProblem => $"minutes must be a whole number from 1 to {MaxMinutes} (default {DefaultMinutes}).";

    /// <summary>The latency buckets; the last one has no upper bound.</summary>
    public const int Buckets = 80;

    private const double SmallestSeconds = 25e-6;
    private const int BucketsPerDoubling = 4;
    private static readonly long IntervalSeconds = (long)Interval.TotalSeconds;

    private readonly TimeProvider clock;
    private readonly Slot[] slots;

    /// <summary>Creates an empty record.</summary>
    public RecentActivity(TimeProvider clock)
    {
        this.clock = clock;
        slots = new Slot[(int)(Window / Interval) + 1];
        for (var i = 0; i < slots.Length; i++)
            slots[i] = new Slot();
    }

    /// <summary>Which kind of operation a request to <paramref name="route"/> is, or None.</summary>
    public static KvOperationKind Classify(string route, string method, HttpRequest request)
    {
        var counted = route switch
        {
            "/v1/kv" or "/v1/kv/{**key}" or "/{**key}" or "/v1/txn" => true,
            "/v1/lists/{keyspace}/{**key}" => !request.Query.ContainsKey("follow"),
            _ => false,
        };
        if (!counted)
            return KvOperationKind.None;
        return method is "GET" or "HEAD" ? KvOperationKind.Read : KvOperationKind.Write;
    }

    /// <summary>Records one operation of <paramref name="kind"/> that took <paramref name="elapsed"/>.</summary>
    public void Record(KvOperationKind kind, TimeSpan elapsed)
    {
        if (kind is KvOperationKind.None)
            return;
        var interval = clock.GetUtcNow().ToUnixTimeSeconds() / IntervalSeconds;
        var slot = Current(interval);
        var counts = kind is KvOperationKind.Read ? slot.Reads : slot.Writes;
        Interlocked.Increment(ref counts[BucketOf(elapsed)]);
    }

    /// <summary>The last intervals covering <paramref name="window"/>, oldest first, the current (partial) one last.</summary>
    public IReadOnlyList<ActivityInterval> Snapshot(TimeSpan window)
    {
        var count = (int)Math.Clamp(Math.Ceiling(window / Interval), 1, slots.Length - 1);
        var now = clock.GetUtcNow().ToUnixTimeSeconds() / IntervalSeconds;
        var result = new List<ActivityInterval>(count);
        var reads = new long[Buckets];
        var writes = new long[Buckets];
        for (var interval = now - count + 1; interval <= now; interval++)
        {
            Array.Clear(reads);
            Array.Clear(writes);
            var slot = slots[SlotIndex(interval)];
            lock (slot)
            {
                if (slot.Stamp == interval)
                {
                    for (var b = 0; b < Buckets; b++)
                    {
                        reads[b] = Volatile.Read(ref slot.Reads[b]);
                        writes[b] = Volatile.Read(ref slot.Writes[b]);
                    }
                }
            }

            result.Add(new ActivityInterval(
                DateTimeOffset.FromUnixTimeSeconds(interval * IntervalSeconds), reads.Sum(), writes.Sum(),
                Percentile(reads, 0.50), Percentile(reads, 0.99), Percentile(writes, 0.50), Percentile(writes, 0.99)));
        }

        return result;
    }

    /// <summary>The bucket of a latency.</summary>
    public static int BucketOf(TimeSpan elapsed)
    {
        var seconds = elapsed.TotalSeconds;
        if (seconds <= SmallestSeconds)
            return 0;
        var bucket = (int)(Math.Log2(seconds / SmallestSeconds) * BucketsPerDoubling);
        return Math.Clamp(bucket, 0, Buckets - 1);
    }

    /// <summary>The latency a bucket stands for: the geometric middle of its bounds.</summary>
    public static TimeSpan Middle(int bucket)
        => TimeSpan.FromSeconds(SmallestSeconds * Math.Pow(2, (bucket + 0.5) / BucketsPerDoubling));

    private static TimeSpan? Percentile(long[] counts, double quantile)
    {
        var total = counts.Sum();
        if (total == 0)
            return null;
        var rank = (long)Math.Ceiling(quantile * total);
        long seen = 0;
        for (var b = 0; b < counts.Length; b++)
        {
            seen += counts[b];
            if (seen >= rank)
                return Middle(b);
        }

        return Middle(counts.Length - 1);
    }

    private int SlotIndex(long interval) => (int)(interval % slots.Length);

    private Slot Current(long interval)
    {
        var slot = slots[SlotIndex(interval)];
        if (Volatile.Read(ref slot.Stamp) == interval)
            return slot;
        lock (slot)
        {
            if (slot.Stamp != interval)
            {
                Array.Clear(slot.Reads);
                Array.Clear(slot.Writes);
                Volatile.Write(ref slot.Stamp, interval);
            }
        }

        return slot;
    }

    private sealed class Slot
    {
        public readonly long[] Reads = new long[Buckets];
        public readonly long[] Writes = new long[Buckets];
        public long Stamp = -1;
    }
}
