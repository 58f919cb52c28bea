// Wires the operability features into the kvdb web application: the Prometheus registry and
// what feeds it, readiness, status, request metrics and logging, the console log format.
// The composition root calls AddOperations (through ObservabilityFeature) and UseOperations; the endpoints are mapped
// in Http/AdminEndpoints.
// Invariants:
//  - /metrics serves one registry per application (never prometheus-net's static default
//    one), so two members built in one process cannot mix their series.
//  - AddOperations comes after the Raft services: hosted services start in registration order
//    and the exporters subscribe to a started Raft member.
//  - The storage metrics source follows the member's storage engine, which exists once the
//    member has started (MemberStorageMetrics).
using KvDb.Core.Operations;
using KvDb.Node.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Console;
using Prometheus;

namespace KvDb.Node.Observability;

/// <summary>Registration of kvdb's operability services and middleware.</summary>
public static class OperationsRegistration
{
    /// <summary>Registers metrics, readiness and status services.</summary>
    public static IServiceCollection AddOperations(this IServiceCollection services)
    {
        services.AddSingleton(static _ =>
        {
            var registry = Metrics.NewCustomRegistry();
            DotNetStats.Register(registry);
            Metrics.WithCustomRegistry(registry)
                .CreateGauge("kvdb_build_info", "Always 1; the version label is this build's (kvdb --version).", ["version"])
                .WithLabels(CommandLine.Version).Set(1);
            return registry;
        });
        services.AddSingleton<IMetricFactory>(static sp => Metrics.WithCustomRegistry(sp.GetRequiredService<CollectorRegistry>()));
        services.AddSingleton<IStorageMetricsSource, MemberStorageMetrics>();
        services.AddSingleton<ReadinessCheck>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<LivenessCheck>();
        services.AddSingleton<RecentActivity>();
        services.AddSingleton<NodeStatusReporter>();
        services.AddHostedService<MeterBridge>();
        services.AddHostedService<RaftMetrics>();
        services.AddHostedService<StorageMetricsExporter>();
        return services;
    }

    /// <summary>Adds request metrics and request logging; call before any other middleware.</summary>
    public static IApplicationBuilder UseOperations(this IApplicationBuilder app)
        => app.UseMiddleware<HttpRequestMetrics>().UseMiddleware<RequestLogging>();
}
