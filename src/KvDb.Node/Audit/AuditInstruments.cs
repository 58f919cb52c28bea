// The instruments of the audit log, on kvdb's shared meter (KvdbMeter); MeterBridge exports them
// to /metrics as kvdb_<name>. Recording is lock-free and costs nothing without a listener.
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using KvDb.Node.HttpKit;

namespace KvDb.Node.Audit;

/// <summary>The instruments of the audit log.</summary>
public static class AuditInstruments
{
    /// <summary>The reason of a line dropped because the queue to the writer was full.</summary>
    public const string QueueFull = "queue_full";

    /// <summary>The reason of a line dropped because the file could not be opened or written.</summary>
    public const string WriteFailed = "write_failed";

    /// <summary>Creates the instruments, so /metrics lists them before their first event.</summary>
    public static void Publish() => RuntimeHelpers.RunClassConstructor(typeof(AuditInstruments).TypeHandle);

    /// <summary>Audit lines written to the file.</summary>
    public static readonly Counter<long> Written = KvdbMeter.Meter.CreateCounter<long>(
        "audit_written", unit: "{line}", description: "Audit log lines written to --audit-log.");

    /// <summary>Audit lines dropped, by reason (queue_full, write_failed).</summary>
    public static readonly Counter<long> Dropped = KvdbMeter.Meter.CreateCounter<long>(
        "audit_dropped", unit: "{line}", description: "Audit log lines dropped: queue_full (the writer fell behind) or write_failed (the file could not be opened or written, e.g. a full disk).");

    /// <summary>Counts <paramref name="count"/> dropped lines.</summary>
    public static void RecordDropped(long count, string reason)
        => Dropped.Add(count, new KeyValuePair<string, object?>("reason", reason));
}
