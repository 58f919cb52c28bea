// Operator-facing endpoints: liveness (/ping, /livez), readiness (/readyz), Prometheus metrics
// (/metrics) and this member's status (/v1/status). The logic lives in LivenessCheck and
// ReadinessCheck; these are the HTTP shapes.
// Invariants:
//  - /ping answers 200 while the process runs, whatever the cluster's state.
//  - /livez answers 200 "live" unless LivenessCheck finds the process wedged, else 503 problem
//    details naming what is wedged (and a "reason" code); never for the cluster's state (no
//    leader, no quorum): a restart would not fix that.
//  - /readyz answers 200 "ready" only when ReadinessCheck says so, else 503 problem details
//    whose detail is the reason (and a "reason" code), with Retry-After. /health, the health
//    check S2's tools probe beside /ping, answers the same.
//  - /metrics and /v1/status answer 200 without a leader or quorum.
using KvDb.Node.HttpKit;
using KvDb.Node.OpenApi;
using Prometheus;

namespace KvDb.Node.Observability;

/// <summary>Maps the operator-facing endpoints.</summary>
public static class AdminEndpoints
{
    /// <summary>Maps <c>/ping</c>, <c>/livez</c>, <c>/readyz</c>, <c>/health</c>, <c>/metrics</c> and <c>/v1/status</c>.</summary>
    public static void MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/ping", static () => Results.Text("pong")).Allow(AccessRule.Probe)
            .WithTags("operations").WithName("ping").WithSummary("Liveness: 200 pong while the process serves HTTP.")
            .Produces<string>(StatusCodes.Status200OK, "text/plain");
        app.MapGet("/livez", Live).Allow(AccessRule.Probe)
            .WithTags("operations").WithName("liveness").WithSummary("Liveness for orchestrators: 200 live while the HTTP server and the apply loop make progress, or 503 naming what is wedged (restart the member).")
            .Produces<string>(StatusCodes.Status200OK, "text/plain").ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapGet("/readyz", ReadyAsync).Allow(AccessRule.Probe)
            .WithTags("operations").WithName("readiness").WithSummary("Readiness: 200 ready, or 503 with the reason in detail and a code in reason.")
            .Produces<string>(StatusCodes.Status200OK, "text/plain").ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapGet("/health", ReadyAsync).Allow(AccessRule.Probe)
            .WithTags("operations").WithName("health").WithSummary("S2's health check: the same answer as /readyz.")
            .Produces<string>(StatusCodes.Status200OK, "text/plain").ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapGet("/v1/status", StatusAsync).Allow(AccessRule.AnyUser)
            .WithTags("operations").WithName("status").WithSummary("This member's status: its role, the leader, Raft indices and storage.");

        // prometheus-net negotiates the text format (or OpenMetrics) and streams the registry.
        var registry = app.ServiceProvider.GetRequiredService<CollectorRegistry>();
        app.MapMetrics("/metrics", registry).Allow(AccessRule.Probe)
            .DescribeMethods("GET").DescribeResponse("GET", StatusCodes.Status200OK, typeof(string), "text/plain").WithTags("operations").WithName("metrics").WithSummary("Prometheus metrics (the text format, or OpenMetrics when asked for).");
    }

    private static IResult Live(LivenessCheck liveness)
    {
        var outcome = liveness.Evaluate();
        return outcome.IsLive
            ? Results.Text("live")
            : Results.Problem(
                statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Not live",
                detail: outcome.Reason,
                extensions: new Dictionary<string, object?> { ["reason"] = outcome.Code });
    }

    private static async Task<IResult> ReadyAsync(HttpContext context, ReadinessCheck readiness)
    {
        var outcome = await readiness.EvaluateAsync(context.RequestAborted);
        if (outcome.IsReady)
            return Results.Text("ready");

        context.Response.Headers.RetryAfter = "1";
        return Results.Problem(
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: "Not ready",
            detail: outcome.Reason,
            extensions: new Dictionary<string, object?> { ["reason"] = outcome.Code });
    }

    private static async Task<IResult> StatusAsync(HttpContext context, NodeStatusReporter status)
        => Results.Json((await status.GetAsync(context.RequestAborted)).ToContract(), KvDb.Contracts.KvDbJsonContext.Default.StatusJson);
}
