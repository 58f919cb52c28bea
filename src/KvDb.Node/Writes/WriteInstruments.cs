// The instruments of the write path, on kvdb's shared meter (KvdbMeter); MeterBridge exports them
// to /metrics as kvdb_<name>. Recording is lock-free and costs nothing without a listener.
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using KvDb.Node.HttpKit;

namespace KvDb.Node.Writes;

/// <summary>The instruments of the write path.</summary>
public static class WriteInstruments
{
    /// <summary>Creates the instruments, so /metrics lists them before their first event.</summary>
    public static void Publish() => RuntimeHelpers.RunClassConstructor(typeof(WriteInstruments).TypeHandle);

    /// <summary>Writes carried by each log entry this member proposed as leader: how well group commit batches.</summary>
    public static readonly Histogram<int> ProposalBatchWrites = KvdbMeter.Meter.CreateHistogram<int>(
        "raft_proposal_batch_writes", unit: "{write}", description: "Writes carried by each Raft log entry this member proposed as leader (group commit).");
}
