// kvdb's own System.Diagnostics.Metrics meter, shared by the features' instruments (each
// feature declares its own, e.g. WatchInstruments), so code that records events does not
// depend on the Prometheus library; MeterBridge exports the meter to /metrics.
// Invariant: the meter's name is the Prometheus prefix: the bridge names a series
// "<meter>_<instrument>", so "kvdb" + "raft_proposal_batch_writes" is
// kvdb_raft_proposal_batch_writes.
using System.Diagnostics.Metrics;

namespace KvDb.Node.HttpKit;

/// <summary>kvdb's meter.</summary>
public static class KvdbMeter
{
    /// <summary>The name of kvdb's Meter; also the prefix of its Prometheus series.</summary>
    public const string MeterName = "kvdb";

    /// <summary>The meter every feature's instruments are created on.</summary>
    public static Meter Meter { get; } = new(MeterName, typeof(KvdbMeter).Assembly.GetName().Version?.ToString(3));
}
