// The instruments of the locks feature (elections share its queue), on kvdb's shared meter (KvdbMeter); MeterBridge exports them
// to /metrics as kvdb_<name>. Recording is lock-free and costs nothing without a listener.
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using KvDb.Node.HttpKit;

namespace KvDb.Node.Locks;

/// <summary>The instruments of the locks feature (elections share its queue).</summary>
public static class LockInstruments
{
    /// <summary>Creates the instruments, so /metrics lists them before their first event.</summary>
    public static void Publish() => RuntimeHelpers.RunClassConstructor(typeof(LockInstruments).TypeHandle);

    /// <summary>Lock and campaign requests answered, by outcome (acquired, timeout).</summary>
    public static readonly Counter<long> LockWaits = KvdbMeter.Meter.CreateCounter<long>(
        "lock_waits", unit: "{request}", description: "Lock and election campaign requests answered by this member: acquired or timeout.");
}
