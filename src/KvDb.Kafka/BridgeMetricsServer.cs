// The bridge's Prometheus endpoint ([metrics] listen): prometheus-net's stand-alone HttpListener
// server over a registry of its own, fed by prometheus-net's meter adapter from the bridge's
// meter (KvDb.Kafka) and the client's (KvDb.Client).
using KvDb.Client;
using Prometheus;

namespace KvDb.Kafka;

/// <summary>Serves GET /metrics.</summary>
internal sealed class BridgeMetricsServer : IDisposable
{
    private static readonly double[] SecondBuckets = Histogram.ExponentialBuckets(0.0005, 2, 16); // 0.5 ms .. 16 s
    private readonly MetricServer server;
    private readonly IDisposable adapter;

    private BridgeMetricsServer(MetricServer server, IDisposable adapter)
    {
        this.server = server;
        this.adapter = adapter;
    }

    /// <summary>Starts serving on <paramref name="listen"/> (host:port).</summary>
    public static BridgeMetricsServer Start(string listen, TextWriter log)
    {
        if (!BridgeSettings.TryListen(listen, out var host, out var port))
            throw new ConfigException("[metrics] listen", $"'{listen}' is not host:port");
        var registry = Metrics.NewCustomRegistry();
        var adapter = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = registry,
            MetricFactory = Metrics.WithCustomRegistry(registry),
            InstrumentFilterPredicate = static instrument => instrument.Meter.Name is BridgeMetrics.MeterName or KvClient.MeterName,
            ResolveHistogramBuckets = static _ => SecondBuckets,
        });
        var server = new MetricServer(host is "0.0.0.0" or "*" ? "+" : host, port, registry: registry);
        server.Start();
        log.WriteLine($"kafka-bridge: metrics on http://{listen}/metrics");
        return new BridgeMetricsServer(server, adapter);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        server.Dispose();
        adapter.Dispose();
    }
}
