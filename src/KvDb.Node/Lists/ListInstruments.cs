// The instruments of the lists feature, on kvdb's shared meter (KvdbMeter); MeterBridge exports them
// to /metrics as kvdb_<name>. Recording is lock-free and costs nothing without a listener.
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using KvDb.Node.HttpKit;

namespace KvDb.Node.Lists;

/// <summary>The instruments of the lists feature.</summary>
public static class ListInstruments
{
    /// <summary>Creates the instruments, so /metrics lists them before their first event.</summary>
    public static void Publish() => RuntimeHelpers.RunClassConstructor(typeof(ListInstruments).TypeHandle);

    /// <summary>List items appended through this member.</summary>
    public static readonly Counter<long> ListItemsAppended = KvdbMeter.Meter.CreateCounter<long>(
        "list_items_appended", unit: "{item}", description: "List items appended through this member (duplicates skipped by nonce are not counted).");
}
