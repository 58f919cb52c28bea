// Operator-facing endpoints: liveness (/ping) and Prometheus metrics (/metrics). The logic
// lives in Operations/; these are the HTTP shapes.
// Invariants:
//  - /ping answers 200 while the process runs, whatever the cluster's state.
//  - /metrics answers 200 without a leader or quorum.
using Prometheus;

namespace KvDb.Node.Http;

/// <summary>Maps the operator-facing endpoints.</summary>
public static class AdminEndpoints
{
    /// <summary>Maps <c>/ping</c> and <c>/metrics</c>.</summary>
    public static void MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/ping", static () => Results.Text("pong"));

        // prometheus-net negotiates the text format (or OpenMetrics) and streams the registry.
        var registry = app.ServiceProvider.GetRequiredService<CollectorRegistry>();
        app.MapMetrics("/metrics", registry);
    }
}
