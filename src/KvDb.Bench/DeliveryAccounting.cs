// Watch mode's bookkeeping: matches what the watchers received against the puts acknowledged
// in the measured window. A put is named by (revision, key); it is expected once at every
// watcher whose range holds its key. Invariants:
//  - Expected = sum over acknowledged puts of the watchers of the put's range; Delivered counts
//    each (put, watcher) pair at most once, so Delivered <= Expected and Missing = Expected -
//    Delivered.
//  - Duplicates counts every receipt of a (revision, key) a watcher had already received (any
//    put, measured or not); OutOfRange every receipt of a key outside the watcher's range. Both
//    are 0 when the watch feed keeps its promises (no duplicate, only the watched range).
//  - Latency is receipt time minus acknowledgement time, in whole microseconds; a receipt before
//    the acknowledgement (the member streamed it before the put's answer reached the bench)
//    counts as 0 and in BeforeAck. Latencies above the histogram's range are recorded as its top
//    and counted in Clamped.
//  - Receipts of puts not in the window (warm-up, failed answers, other clients) are ignored.
using HdrHistogram;

namespace KvDb.Bench;

/// <summary>How the measured puts reached the watchers.</summary>
/// <param name="Expected">(put, watcher) pairs that should have arrived.</param>
/// <param name="Delivered">Pairs that arrived (each counted once).</param>
/// <param name="Missing">Expected pairs that never arrived.</param>
/// <param name="Duplicates">Receipts of a put the watcher had already received.</param>
/// <param name="BeforeAck">Deliveries that arrived before the put's acknowledgement (latency 0).</param>
/// <param name="OutOfRange">Receipts of keys outside the watcher's range.</param>
/// <param name="Clamped">Latencies above the histogram's range, recorded as its top.</param>
/// <param name="Latency">Delivery latency in microseconds of every delivered pair.</param>
public sealed record Deliveries(long Expected, long Delivered, long Missing, long Duplicates, long BeforeAck, long OutOfRange, long Clamped, HistogramBase Latency);

/// <summary>Matches watchers' receipts against acknowledged puts.</summary>
public static class DeliveryAccounting
{
    /// <summary>Counts the deliveries of <paramref name="acks"/> to the watchers whose receipts are <paramref name="receipts"/> (index = watcher number), over <paramref name="ranges"/>.</summary>
    public static Deliveries Count(KeyRanges ranges, IEnumerable<PutAck> acks, IReadOnlyList<IReadOnlyList<WatchReceipt>> receipts, long highestTrackableMicroseconds)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        ArgumentNullException.ThrowIfNull(acks);
        ArgumentNullException.ThrowIfNull(receipts);
        var acknowledged = new Dictionary<(long Revision, int Key), long>();
        long expected = 0;
        foreach (var ack in acks)
        {
            if (acknowledged.TryAdd((ack.Revision, ack.Key), ack.AcknowledgedAt))
                expected += ranges.WatchersOf(ranges.RangeOf(ack.Key));
        }

        var latency = LatencyRecorder.NewHistogram(highestTrackableMicroseconds);
        long delivered = 0, duplicates = 0, beforeAck = 0, outOfRange = 0, clamped = 0;
        var seen = new HashSet<(long Revision, int Key)>();
        for (var w = 0; w < receipts.Count; w++)
        {
            var range = ranges.RangeOfWatcher(w);
            seen.Clear();
            foreach (var receipt in receipts[w])
            {
                if (ranges.RangeOf(receipt.Key) != range)
                {
                    outOfRange++;
                    continue;
                }

                if (!seen.Add((receipt.Revision, receipt.Key)))
                {
                    duplicates++;
                    continue;
                }

                if (!acknowledged.TryGetValue((receipt.Revision, receipt.Key), out var acknowledgedAt))
                    continue;

                delivered++;
                var microseconds = RunWindow.Microseconds(acknowledgedAt, receipt.ReceivedAt);
                if (receipt.ReceivedAt < acknowledgedAt)
                {
                    beforeAck++;
                    microseconds = 0;
                }

                if (microseconds > highestTrackableMicroseconds)
                {
                    microseconds = highestTrackableMicroseconds;
                    clamped++;
                }

                latency.RecordValue(microseconds);
            }
        }

        return new Deliveries(expected, delivered, expected - delivered, duplicates, beforeAck, outOfRange, clamped, latency);
    }
}
