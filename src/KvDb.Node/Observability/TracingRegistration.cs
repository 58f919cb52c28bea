// Turns tracing on when --otlp-endpoint (or OTEL_EXPORTER_OTLP_ENDPOINT) is given: the
// OpenTelemetry SDK with kvdb's sources, ASP.NET Core's request spans, HttpClient's spans
// under kvdb's (the forward to the leader, the read index), and the OTLP exporter.
// Invariants:
//  - Off, nothing is registered: no tracer provider, no ActivityListener, no DiagnosticListener
//    subscriber, so ASP.NET Core makes no Activity per request (its hosting logger is off too,
//    see NodeComposition) and kvdb's helpers stop at HasListeners.
//  - Request spans carry no key and no query: url.path and url.query are removed (the route
//    stays, and kvdb.key.prefix says as much of the key as --trace-key-depth allows).
//  - Traced: client requests on --port (not /metrics, /ping, /readyz) and the member-to-member
//    endpoints under /internal on the peer port; never DotNext's Raft messages, and HttpClient
//    calls only under a kvdb span, so heartbeats make no root spans.
//  - Sampling is parent-based: a traceparent's sampled flag decides; the ratio decides for traces that start here.
using System.Diagnostics;
using KvDb.Core.State;
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace KvDb.Node.Observability;

/// <summary>Registration of tracing.</summary>
public static class TracingRegistration
{
    /// <summary>Adds the OpenTelemetry tracer of <paramref name="member"/>; nothing when <paramref name="tracing"/> is off.</summary>
    public static IServiceCollection AddTracing(this IServiceCollection services, TracingOptions tracing, TracedMember member)
    {
        if (!tracing.Enabled)
            return services;

        KvdbTracing.KeyPrefixDepth = tracing.KeyDepth;
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource
                .AddService("kvdb", serviceVersion: CommandLine.Version, serviceInstanceId: member.PeerUrl, autoGenerateServiceInstanceId: false)
                .AddAttributes([new("kvdb.member.id", member.Id)]))
            .WithTracing(builder => builder
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(tracing.SamplingRatio)))
                .AddSource(KvdbTracing.SourceName, ApplyTracing.SourceName)
                .AddAspNetCoreInstrumentation(aspNet =>
                {
                    aspNet.Filter = context => IsTraced(context, member.PeerPort);
                    aspNet.RecordException = false;
                    aspNet.EnrichWithHttpRequest = static (activity, _) => Scrub(activity);
                    aspNet.EnrichWithHttpResponse = static (activity, response) => activity.SetTag("kvdb.outcome", Outcome(response.StatusCode));
                })
                .AddHttpClientInstrumentation(http => http.FilterHttpRequestMessage = static _ => Activity.Current is { ParentSpanId: var parent } && parent != default)
                .AddOtlpExporter(otlp =>
                {
                    otlp.Endpoint = tracing.ExportUri!;
                    otlp.Protocol = tracing.Protocol;
                }));
        return services;
    }

    private static bool IsTraced(HttpContext context, int peerPort)
    {
        var path = context.Request.Path;
        return context.Connection.LocalPort == peerPort
            ? path.StartsWithSegments("/internal", StringComparison.Ordinal)
            : !(path.StartsWithSegments("/metrics", StringComparison.Ordinal) || path.StartsWithSegments("/ping", StringComparison.Ordinal) || path.StartsWithSegments("/readyz", StringComparison.Ordinal));
    }

    // The path holds the key (/v1/kv/{key}, /{key}) and the query a range's prefix or a continuation.
    private static void Scrub(Activity activity)
    {
        activity.SetTag("url.path", null);
        activity.SetTag("url.query", null);
    }

    /// <summary>What a request's status says happened, as the span's kvdb.outcome.</summary>
    public static string Outcome(int status) => status switch
    {
        < 300 => "ok",
        304 => "not_modified",
        401 or 403 => "denied",
        404 => "not_found",
        412 => "condition_failed",
        429 or 503 => "unavailable",
        507 => "disk_full",
        < 500 => "rejected",
        _ => "error",
    };
}
