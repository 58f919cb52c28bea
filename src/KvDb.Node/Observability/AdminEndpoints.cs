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
//  - /metrics, /v1/status and /v1/activity answer 200 without a leader or quorum.
using KvDb.Node.HttpKit;
using KvDb.Node.OpenApi;
using KvDb.Node.Raft;
using Microsoft.Extensions.Options;
using Prometheus;

namespace KvDb.Node.Observability;

/// <summary>Maps the operator-facing endpoints.</summary>
public static class AdminEndpoints
{
    /// <summary>Maps <c>/ping</c>, <c>/livez</c>, <c>/readyz</c>, <c>/health</c>, <c>/metrics</c>, <c>/v1/status</c> and <c>/v1/activity</c>.</summary>
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
        app.MapGet("/v1/activity", Activity).Allow(AccessRule.AnyUser)
            .WithTags("operations").WithName("activity")
            .WithSummary("This member's key-value reads and writes over the last minutes, per 5-second interval: counts and p50/p99 latency (the dashboard's activity charts).")
            .WithQuery("minutes", $"How far back, 1 to {RecentActivity.MaxMinutes} (default {RecentActivity.DefaultMinutes}).")
            .Produces<KvDb.Contracts.ActivityJson>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest);

        // prometheus-net negotiates the text format (or OpenMetrics) and streams the registry.
        var registry = app.ServiceProvider.GetRequiredService<CollectorRegistry>();
        app.MapMetrics("/metrics", registry).Allow(AccessRule.Probe)
            .DescribeMethods("GET").DescribeResponse("GET", StatusCodes.Status200OK, typeof(string), "text/plain").WithTags("operations").WithName("metrics").WithSummary("Prometheus metrics (the text format, or OpenMetrics when asked for).");
    }

    private static IResult Activity(HttpContext context, RecentActivity activity, IOptions<MemberOptions> member)
    {
        if (!RecentActivity.TryReadMinutes(context.Request, out var minutes))
            return Problems.BadRequest(RecentActivity.MinutesProblem);

        static double? Ms(TimeSpan? t) => t is { } value ? Math.Round(value.TotalMilliseconds, 3) : null;
        var intervals = activity.Snapshot(TimeSpan.FromMinutes(minutes)).Select(i => new KvDb.Contracts.ActivityIntervalJson
        {
            Start = i.Start.ToUnixTimeMilliseconds(),
            Reads = i.Reads,
            Writes = i.Writes,
            ReadP50Ms = Ms(i.ReadP50),
            ReadP99Ms = Ms(i.ReadP99),
            WriteP50Ms = Ms(i.WriteP50),
            WriteP99Ms = Ms(i.WriteP99),
        }).ToList();
        context.Response.Headers.CacheControl = "no-store";
        return Results.Json(
            new KvDb.Contracts.ActivityJson { Member = member.Value.Id, IntervalSeconds = (int)RecentActivity.Interval.TotalSeconds, Intervals = intervals },
            KvDb.Contracts.KvDbJsonContext.Default.ActivityJson);
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
