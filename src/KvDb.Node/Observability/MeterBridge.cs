// Bridges System.Diagnostics.Metrics instruments into the Prometheus registry: DotNext's own
// meters (write-ahead log, Raft server and HTTP client) and
// kvdb's (KvdbMeter). prometheus-net's MeterAdapter does the translation.
// Invariants:
//  - Only meters whose name starts with "DotNext." or is kvdb's are bridged: the runtime's and
//    ASP.NET's meters stay out (prometheus-net's own process series and kvdb's HTTP series
//    cover them), so /metrics stays small and its names stable.
//  - Series names are "<meter>_<instrument>" made Prometheus-safe, e.g. DotNext.IO.WriteAheadLog
//    + entries-commit-count = dotnext_io_writeaheadlog_entries_commit_count. The adapter
//    exports .NET counters as gauges (a .NET counter may be re-created and restart), so
//    their names carry no _total; use rate() on them all the same.
//  - The adapter must be handed the factory of kvdb's registry explicitly: by default it
//    writes to prometheus-net's global registry, which /metrics does not serve.
//  - Histogram buckets follow the instrument's unit (ms, bytes, counts).
//  - Bridged values count from when this service started, after the Raft member: entries
//    replayed from the log at start-up are not in the dotnext_io_writeaheadlog_* counts.
using System.Diagnostics.Metrics;
using KvDb.Node.HttpKit;
using Prometheus;

namespace KvDb.Node.Observability;

/// <summary>Publishes DotNext's and kvdb's .NET Meters on <c>/metrics</c>.</summary>
public sealed class MeterBridge(CollectorRegistry registry) : IHostedService, IDisposable
{
    private static readonly double[] MillisecondBuckets = Histogram.ExponentialBuckets(0.05, 2, 16); // 50 µs .. 1.6 s
    private static readonly double[] ByteBuckets = Histogram.ExponentialBuckets(64, 4, 12); // 64 B .. 256 MiB
    private static readonly double[] CountBuckets = Histogram.ExponentialBuckets(1, 2, 13); // 1 .. 4096

    private IDisposable? adapter;

    /// <summary>True for the meters /metrics publishes.</summary>
    public static bool IsBridged(Meter meter)
        => meter.Name.StartsWith("DotNext.", StringComparison.Ordinal) || meter.Name == KvdbMeter.MeterName;

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        adapter ??= MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = registry,
            MetricFactory = Metrics.WithCustomRegistry(registry),
            InstrumentFilterPredicate = static instrument => IsBridged(instrument.Meter),
            ResolveHistogramBuckets = static instrument => instrument.Unit switch
            {
                "ms" => MillisecondBuckets,
                "bytes" or "By" => ByteBuckets,
                _ => CountBuckets,
            },
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public void Dispose() => adapter?.Dispose();
}
