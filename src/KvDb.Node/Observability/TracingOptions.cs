// The tracing settings (--otlp-endpoint, --otlp-protocol, --trace-sampling, --trace-key-depth),
// after validation by TracingFlags.
// Invariant: OtlpEndpoint null means tracing is off: no tracer provider, no listener on any
// ActivitySource or DiagnosticListener, so requests make no Activity at all.
using OpenTelemetry.Exporter;

namespace KvDb.Node.Observability;

/// <summary>Where spans are exported, which are kept, and how much of a key they may show.</summary>
public sealed record TracingOptions
{
    /// <summary>Tracing off.</summary>
    public static readonly TracingOptions Off = new();

    /// <summary>The OTLP collector's base URL; null turns tracing off.</summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary>OTLP over HTTP with protobuf (the default) or gRPC.</summary>
    public OtlpExportProtocol Protocol { get; init; } = OtlpExportProtocol.HttpProtobuf;

    /// <summary>The fraction of traces started here that are kept (0 to 1); a request whose caller's trace is sampled is always kept.</summary>
    public double SamplingRatio { get; init; } = 1.0;

    /// <summary>How many leading '/'-separated segments of a key a span may carry (0: none); never a key's last segment.</summary>
    public int KeyDepth { get; init; } = 1;

    /// <summary>True when spans are exported.</summary>
    public bool Enabled => OtlpEndpoint is not null;

    /// <summary>
    /// Where the exporter sends: for HTTP/protobuf the base URL's <c>v1/traces</c> (as
    /// OTEL_EXPORTER_OTLP_ENDPOINT is read), unless it already names that path; for gRPC the URL itself.
    /// </summary>
    public Uri? ExportUri => OtlpEndpoint is not { } endpoint || Protocol is OtlpExportProtocol.Grpc || endpoint.AbsolutePath.EndsWith("/v1/traces", StringComparison.Ordinal)
        ? OtlpEndpoint
        : new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/v1/traces");
}

/// <summary>The member whose spans these are: its id, its peer URL (the spans' service.instance.id) and its peer port (where only /internal is traced).</summary>
public sealed record TracedMember(int Id, string PeerUrl, int PeerPort);
