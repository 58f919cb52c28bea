// The bridge's instruments (meter "KvDb.Kafka"), exported on [metrics] listen by prometheus-net's
// meter adapter as kvdb_kafka_bridge_*: the adapter prefixes each instrument with its meter's
// name, so the instruments are named without it.
// Invariants: every consumed record ends up counted once as appended, skipped or dead-lettered
// (by the acknowledgement that lets its offset be committed); a replayed record counts again,
// as consumed and (usually) skipped, since it was consumed again.
using System.Diagnostics.Metrics;

namespace KvDb.Kafka;

/// <summary>Counters and histograms of one bridge.</summary>
internal sealed class BridgeMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "KvDb.Kafka";

    private readonly Meter meter;
    private readonly Counter<long> consumed;
    private readonly Counter<long> appended;
    private readonly Counter<long> skipped;
    private readonly Counter<long> deadLettered;
    private readonly Counter<long> batches;
    private readonly Histogram<double> writeLatency;
    private long consumedTotal;
    private long appendedTotal;
    private long skippedTotal;
    private long deadLetteredTotal;
    private long batchesTotal;

    /// <summary>Creates the instruments; <paramref name="commitLag"/> reports each assigned partition's lag when observed.</summary>
    public BridgeMetrics(Func<IEnumerable<Measurement<long>>> commitLag)
    {
        meter = new Meter(MeterName);
        consumed = meter.CreateCounter<long>("bridge_records_consumed", "{record}", "Records read from Kafka (a replay counts again).");
        appended = meter.CreateCounter<long>("bridge_records_appended", "{record}", "Records appended to their lists.");
        skipped = meter.CreateCounter<long>("bridge_records_skipped", "{record}", "Records kvdb skipped as duplicates (a nonce not above the list's last): replays.");
        deadLettered = meter.CreateCounter<long>("bridge_records_dead_lettered", "{record}", "Records written to a dead-letter list: the parsers could not read them, or kvdb refused them.");
        batches = meter.CreateCounter<long>("bridge_batches", "{batch}", "Appends sent to kvdb and acknowledged.");
        writeLatency = meter.CreateHistogram<double>("bridge_write_latency", "s", "Time from sending an append to kvdb's acknowledgement, retries included.");
        meter.CreateObservableGauge("bridge_commit_lag", commitLag, "{record}", "Per partition: records consumed whose offsets are not committed yet.");
    }

    /// <summary>Records consumed so far.</summary>
    public long Consumed => Interlocked.Read(ref consumedTotal);

    /// <summary>Records appended so far.</summary>
    public long Appended => Interlocked.Read(ref appendedTotal);

    /// <summary>Records skipped as duplicates so far.</summary>
    public long Skipped => Interlocked.Read(ref skippedTotal);

    /// <summary>Records dead-lettered so far.</summary>
    public long DeadLettered => Interlocked.Read(ref deadLetteredTotal);

    /// <summary>Appends acknowledged so far.</summary>
    public long Batches => Interlocked.Read(ref batchesTotal);

    /// <summary>One record consumed.</summary>
    public void RecordConsumed()
    {
        consumed.Add(1);
        Interlocked.Increment(ref consumedTotal);
    }

    /// <summary>An append acknowledged.</summary>
    public void BatchWritten(int appendedCount, int skippedCount, int deadLetteredCount, TimeSpan latency)
    {
        batches.Add(1);
        Interlocked.Increment(ref batchesTotal);
        if (appendedCount > 0)
        {
            appended.Add(appendedCount);
            Interlocked.Add(ref appendedTotal, appendedCount);
        }

        if (skippedCount > 0)
        {
            skipped.Add(skippedCount);
            Interlocked.Add(ref skippedTotal, skippedCount);
        }

        if (deadLetteredCount > 0)
        {
            deadLettered.Add(deadLetteredCount);
            Interlocked.Add(ref deadLetteredTotal, deadLetteredCount);
        }

        writeLatency.Record(latency.TotalSeconds);
    }

    /// <inheritdoc/>
    public void Dispose() => meter.Dispose();
}
