// The instruments of S2's streams API, on kvdb's shared meter (KvdbMeter); MeterBridge exports
// them to /metrics as kvdb_<name>. Recording is lock-free and costs nothing without a listener.
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using KvDb.Node.HttpKit;

namespace KvDb.Node.Streams;

/// <summary>The instruments of the S2 streams API.</summary>
public static class StreamInstruments
{
    /// <summary>Records appended to streams through this member.</summary>
    public static readonly Counter<long> RecordsAppended = KvdbMeter.Meter.CreateCounter<long>(
        "s2_records_appended", unit: "{record}", description: "S2 records appended through this member.");

    /// <summary>Metered bytes appended.</summary>
    public static readonly Counter<long> BytesAppended = KvdbMeter.Meter.CreateCounter<long>(
        "s2_bytes_appended", unit: "By", description: "S2 metered bytes appended through this member.");

    /// <summary>Records sent to readers.</summary>
    public static readonly Counter<long> RecordsRead = KvdbMeter.Meter.CreateCounter<long>(
        "s2_records_read", unit: "{record}", description: "S2 records sent to readers by this member (unary and SSE).");

    /// <summary>Appends refused by a condition (fencing token, match_seq_num).</summary>
    public static readonly Counter<long> AppendConditionsFailed = KvdbMeter.Meter.CreateCounter<long>(
        "s2_append_conditions_failed", unit: "{append}", description: "S2 appends refused because fencing_token or match_seq_num did not match.");

    /// <summary>Records the leader deleted because they outlived their stream's retention age.</summary>
    public static readonly Counter<long> RecordsTrimmedByRetention = KvdbMeter.Meter.CreateCounter<long>(
        "s2_records_trimmed_by_retention", unit: "{record}", description: "S2 records deleted by retention_policy, counted by the leader that proposed the trim.");

    /// <summary>Empty streams deleted by delete_on_empty.</summary>
    public static readonly Counter<long> StreamsDeletedOnEmpty = KvdbMeter.Meter.CreateCounter<long>(
        "s2_streams_deleted_on_empty", unit: "{stream}", description: "S2 streams deleted by delete_on_empty, counted by the leader that proposed the deletion.");

    /// <summary>Creates the instruments, so /metrics lists them before their first event.</summary>
    public static void Publish() => RuntimeHelpers.RunClassConstructor(typeof(StreamInstruments).TypeHandle);
}
