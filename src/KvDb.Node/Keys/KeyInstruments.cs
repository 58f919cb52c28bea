// The instruments of the keys feature's reads of the past, on kvdb's shared meter (KvdbMeter);
// MeterBridge exports them to /metrics as kvdb_<name>. Recording is lock-free and costs nothing
// without a listener; the plain reads and writes record nothing here.
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using KvDb.Node.HttpKit;

namespace KvDb.Node.Keys;

/// <summary>The instruments of the keys feature.</summary>
public static class KeyInstruments
{
    /// <summary>Creates the instruments, so /metrics lists them before their first event.</summary>
    public static void Publish() => RuntimeHelpers.RunClassConstructor(typeof(KeyInstruments).TypeHandle);

    /// <summary>Reads at a past revision and history pages served.</summary>
    public static readonly Counter<long> PastReads = KvdbMeter.Meter.CreateCounter<long>(
        "kv_past_reads", unit: "{read}", description: "Reads at a past revision (kind get or range) and key history pages (kind history) this member served.");

    /// <summary>Change-history records decoded to serve reads of the past: their cost.</summary>
    public static readonly Counter<long> PastReadRecords = KvdbMeter.Meter.CreateCounter<long>(
        "kv_past_read_records", unit: "{record}", description: "Change-history records decoded to serve reads at a past revision and key histories (records without the key are skipped undecoded).");

    /// <summary>Reads of the past refused with 410 because the history had forgotten the revision.</summary>
    public static readonly Counter<long> PastReadsCompacted = KvdbMeter.Meter.CreateCounter<long>(
        "kv_past_reads_compacted", unit: "{read}", description: "Reads at a revision or history pages refused with 410: older than the change history (--watch-history).");

    /// <summary>Counts one read of the past of <paramref name="kind"/> that decoded <paramref name="records"/> history records.</summary>
    public static void Record(string kind, int records)
    {
        PastReads.Add(1, new KeyValuePair<string, object?>("kind", kind));
        PastReadRecords.Add(records, new KeyValuePair<string, object?>("kind", kind));
    }
}
