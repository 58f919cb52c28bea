// The instruments of the watch feature, on kvdb's shared meter (KvdbMeter); MeterBridge exports them
// to /metrics as kvdb_<name>. Recording is lock-free and costs nothing without a listener.
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using KvDb.Node.HttpKit;

namespace KvDb.Node.Watch;

/// <summary>The instruments of the watch feature.</summary>
public static class WatchInstruments
{
    /// <summary>Creates the instruments, so /metrics lists them before their first event.</summary>
    public static void Publish() => RuntimeHelpers.RunClassConstructor(typeof(WatchInstruments).TypeHandle);

    /// <summary>Watches streaming from this member now.</summary>
    public static readonly UpDownCounter<long> OpenWatches = KvdbMeter.Meter.CreateUpDownCounter<long>(
        "watch_open", unit: "{watch}", description: "Watches streaming from this member now.");

    /// <summary>Change events sent to watchers.</summary>
    public static readonly Counter<long> WatchEvents = KvdbMeter.Meter.CreateCounter<long>(
        "watch_events_sent", unit: "{event}", description: "Change events this member sent to watchers.");

    /// <summary>Watchers cut off because they stopped reading.</summary>
    public static readonly Counter<long> WatchersCutOff = KvdbMeter.Meter.CreateCounter<long>(
        "watch_cut_off", unit: "{watch}", description: "Watchers cut off because they did not read for --watch-slow-reader-timeout.");

    /// <summary>Watches that fell behind the hub (their queue was full) and caught up from the history by themselves.</summary>
    public static readonly Counter<long> WatchesFellBehind = KvdbMeter.Meter.CreateCounter<long>(
        "watch_fell_behind", unit: "{watch}", description: "Watches whose client read too slowly for the hub's queue, so they caught up from the change history by themselves.");
}
