// The instruments of the leases feature, on kvdb's shared meter (KvdbMeter); MeterBridge exports them
// to /metrics as kvdb_<name>. Recording is lock-free and costs nothing without a listener.
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using KvDb.Node.HttpKit;

namespace KvDb.Node.Leases;

/// <summary>The instruments of the leases feature.</summary>
public static class LeaseInstruments
{
    /// <summary>Creates the instruments, so /metrics lists them before their first event.</summary>
    public static void Publish() => RuntimeHelpers.RunClassConstructor(typeof(LeaseInstruments).TypeHandle);

    /// <summary>Leases granted through this member.</summary>
    public static readonly Counter<long> LeasesGranted = KvdbMeter.Meter.CreateCounter<long>(
        "leases_granted", unit: "{lease}", description: "Leases granted through this member.");

    /// <summary>Leases revoked by clients through this member.</summary>
    public static readonly Counter<long> LeasesRevoked = KvdbMeter.Meter.CreateCounter<long>(
        "leases_revoked", unit: "{lease}", description: "Leases revoked by clients through this member.");

    /// <summary>Leases this member, as leader, revoked because they expired.</summary>
    public static readonly Counter<long> LeasesExpired = KvdbMeter.Meter.CreateCounter<long>(
        "leases_expired", unit: "{lease}", description: "Leases this member, as leader, revoked because their TTL ran out.");

    /// <summary>Where the number of live leases is read from (set once the member starts).</summary>
    public static Func<int>? LiveLeases { get; set; }

    /// <summary>Leases alive in this member's applied state.</summary>
    public static readonly ObservableGauge<int> LeasesAlive = KvdbMeter.Meter.CreateObservableGauge(
        "leases_alive", static () => LiveLeases?.Invoke() ?? 0, unit: "{lease}", description: "Leases alive in this member's applied state.");
}
