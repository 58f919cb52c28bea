// The instruments of the transactions feature, on kvdb's shared meter (KvdbMeter); MeterBridge exports them
// to /metrics as kvdb_<name>. Recording is lock-free and costs nothing without a listener.
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using KvDb.Node.HttpKit;

namespace KvDb.Node.Transactions;

/// <summary>The instruments of the transactions feature.</summary>
public static class TxnInstruments
{
    /// <summary>Creates the instruments, so /metrics lists them before their first event.</summary>
    public static void Publish() => RuntimeHelpers.RunClassConstructor(typeof(TxnInstruments).TypeHandle);

    /// <summary>Transactions answered, by outcome (succeeded: the then branch ran; failed: the else branch).</summary>
    public static readonly Counter<long> Transactions = KvdbMeter.Meter.CreateCounter<long>(
        "txn", unit: "{transaction}", description: "Transactions answered by this member: succeeded (then ran) or failed (else ran).");
}
