// Middleware recording every HTTP request in one Prometheus histogram, labelled by the
// endpoint's route pattern, the method and the status code.
// Invariants:
//  - Labels have bounded cardinality: the route is the matched endpoint's pattern ("/{**key}",
//    "/v1/members", never the raw path, so keys never become labels), methods outside the
//    standard set become "OTHER", and codes are the few statuses kvdb answers with.
//  - It runs outside the exception handler, so it sees the status the client got (a 500
//    included); a request that fails past every handler is recorded as 500.
//  - The histogram's _count is the request counter; there is no separate one.
//  - Key-value operations are also counted in RecentActivity (the dashboard's activity charts).
using System.Diagnostics;
using System.Globalization;
using Prometheus;

namespace KvDb.Node.Observability;

/// <summary>Times HTTP requests into <c>kvdb_http_request_duration_seconds{route,method,code}</c>.</summary>
public sealed class HttpRequestMetrics(RequestDelegate next, IMetricFactory metrics, RecentActivity activity)
{
    /// <summary>The route label of requests no endpoint matched.</summary>
    public const string UnmatchedRoute = "unmatched";

    private static readonly string[] StandardMethods = ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"];

    private readonly Histogram duration = metrics.CreateHistogram(
        "kvdb_http_request_duration_seconds",
        "HTTP requests served by this member, by route pattern, method and status code; _count counts requests.",
        new HistogramConfiguration
        {
            LabelNames = ["route", "method", "code"],

            // 250 µs .. 16 s: local reads take well under a millisecond, a write or a
            // linearizable read through a leader a few, a 503 waits --request-timeout (5 s).
            Buckets = Histogram.ExponentialBuckets(0.00025, 2, 17),
        });

    /// <summary>Runs the rest of the pipeline and records the request.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();

        // Routing ran before this middleware; read the pattern now because the exception
        // handler clears the endpoint when it re-executes.
        var route = RouteOf(context);
        var failed = false;
        try
        {
            await next(context);
        }
        catch
        {
            failed = true;
            throw;
        }
        finally
        {
            var code = failed ? StatusCodes.Status500InternalServerError : context.Response.StatusCode;
            var elapsed = Stopwatch.GetElapsedTime(started);
            var pattern = route ?? RouteOf(context) ?? UnmatchedRoute;
            var method = MethodLabel(context.Request.Method);
            duration
                .WithLabels(pattern, method, code.ToString(CultureInfo.InvariantCulture))
                .Observe(elapsed.TotalSeconds);
            activity.Record(RecentActivity.Classify(pattern, method, context.Request), elapsed);
        }
    }

    private static string? RouteOf(HttpContext context)
        => context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } pattern } ? pattern : null;

    private static string MethodLabel(string method)
    {
        foreach (var standard in StandardMethods)
        {
            if (string.Equals(method, standard, StringComparison.OrdinalIgnoreCase))
                return standard;
        }

        return "OTHER";
    }
}
