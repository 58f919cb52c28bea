// The bridge's Prometheus endpoint ([metrics] listen): a minimal Kestrel server over a
// prometheus-net registry of its own, fed by prometheus-net's meter adapter from the bridge's
// meter (KvDb.Kafka) and the client's (KvDb.Client).
// Invariants:
//  - Start returns once the port is bound, and throws ConfigException naming [metrics] listen
//    when it cannot be (a port in use is a start-up failure, not a bridge without metrics).
//  - Not prometheus-net's HttpListener server: on Linux, HttpListener.Start throws when a
//    connection arrives while it starts (dotnet/corefx#35191), so a scraper polling the port at
//    start-up killed the bridge.
//  - No configuration file is watched: the default host watches the working directory
//    recursively for appsettings.json, and every file written under it would wake that watch.
using System.Net;
using KvDb.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace KvDb.Kafka;

/// <summary>Serves GET /metrics.</summary>
internal sealed class BridgeMetricsServer : IDisposable
{
    private static readonly double[] SecondBuckets = Histogram.ExponentialBuckets(0.0005, 2, 16); // 0.5 ms .. 16 s
    private readonly WebApplication app;
    private readonly IDisposable adapter;

    private BridgeMetricsServer(WebApplication app, IDisposable adapter)
    {
        this.app = app;
        this.adapter = adapter;
    }

    /// <summary>Starts serving on <paramref name="listen"/> (host:port).</summary>
    public static BridgeMetricsServer Start(string listen, TextWriter log)
    {
        if (!BridgeSettings.TryListen(listen, out var host, out var port))
            throw new ConfigException("[metrics] listen", $"'{listen}' is not host:port");
        var registry = Metrics.NewCustomRegistry();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (host is "0.0.0.0" or "*" or "+")
                kestrel.ListenAnyIP(port);
            else if (host is "localhost")
                kestrel.ListenLocalhost(port);
            else
                foreach (var address in IPAddress.TryParse(host, out var ip) ? [ip] : Dns.GetHostAddresses(host))
                    kestrel.Listen(address, port);
        });
        var app = builder.Build();
        app.MapGet("/metrics", async context =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
        });
        var adapter = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = registry,
            MetricFactory = Metrics.WithCustomRegistry(registry),
            InstrumentFilterPredicate = static instrument => instrument.Meter.Name is BridgeMetrics.MeterName or KvClient.MeterName,
            ResolveHistogramBuckets = static _ => SecondBuckets,
        });
        try
        {
            app.StartAsync().GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            adapter.Dispose();
            ((IDisposable)app).Dispose();
            if (e is IOException or System.Net.Sockets.SocketException)
                throw new ConfigException("[metrics] listen", $"cannot listen on {listen}: {e.Message}");
            throw;
        }

        log.WriteLine($"kafka-bridge: metrics on http://{listen}/metrics");
        return new BridgeMetricsServer(app, adapter);
    }

    /// <summary>The server's configuration, for tests that check what it watches.</summary>
    internal Microsoft.Extensions.Configuration.IConfiguration Configuration => app.Configuration;

    /// <inheritdoc/>
    public void Dispose()
    {
        app.StopAsync().GetAwaiter().GetResult();
        ((IDisposable)app).Dispose();
        adapter.Dispose();
    }
}
