// kvdb's tracing flags, kept apart from NodeFlags (as AuditFlags are); NodeFlags lists and
// builds them.
// Invariants: NodeFlags' conventions (declared once, KVDB_ environment variables); besides
// those, the endpoint and protocol fall back to OpenTelemetry's standard variables
// (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL), read from the same environment
// lookup; every value is checked here, so a bad one is a command-line error.
using System.CommandLine;
using System.Globalization;
using KvDb.Flags;
using OpenTelemetry.Exporter;

namespace KvDb.Node.Observability;

/// <summary>The flags of tracing.</summary>
internal sealed class TracingFlags
{
    private readonly Func<string, string?> environment;

    public TracingFlags(Func<string, string?> environment)
    {
        this.environment = environment;
        OtlpEndpoint = Env(new Flag<Uri?>("otlp-endpoint", "URL", "none (off), or OTEL_EXPORTER_OTLP_ENDPOINT", "Export traces with OTLP to this collector (e.g. http://127.0.0.1:4318): a span per client request (route, key prefix, consistency, outcome) with kvdb's own spans under it (see docs/operations/tracing.md). Without it, tracing is off and costs nothing.", ParseEndpoint, defaultValue: () => null));
        OtlpProtocol = Env(new Flag<OtlpExportProtocol?>("otlp-protocol", "http/protobuf|grpc", "http/protobuf, or OTEL_EXPORTER_OTLP_PROTOCOL", "The OTLP transport; http/protobuf sends to the endpoint's /v1/traces.", text => ParseProtocol(text), defaultValue: () => null));
        TraceSampling = Env(new Flag<double>("trace-sampling", "RATIO", "1", "Fraction of the traces started at this member that are kept, 0 to 1 (0.01: one in a hundred); a request whose caller's trace is sampled (traceparent) is always kept, one whose caller's is not never.", ParseRatio));
        TraceKeyDepth = Env(new Flag<int>("trace-key-depth", "N", "1", "Leading '/'-separated segments of a key a span may carry as kvdb.key.prefix (0: none); never the key's last segment, never a value.", WholeNumber.Between("trace-key-depth", 0, 16)));

        Flag<T> Env<T>(Flag<T> flag) => flag.FromEnvironment("KVDB_" + flag.FlagName.Replace('-', '_').ToUpperInvariant(), environment);
    }

    /// <summary>The flags, in --help order.</summary>
    public IReadOnlyList<IFlag> Flags => [OtlpEndpoint, OtlpProtocol, TraceSampling, TraceKeyDepth];

    public Flag<Uri?> OtlpEndpoint { get; }
    public Flag<OtlpExportProtocol?> OtlpProtocol { get; }
    public Flag<double> TraceSampling { get; }
    public Flag<int> TraceKeyDepth { get; }

    /// <summary>The settings of a parse without errors.</summary>
    /// <exception cref="FormatException">OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_PROTOCOL holds something that is not an endpoint or a protocol.</exception>
    public TracingOptions Build(ParseResult result) => new()
    {
        OtlpEndpoint = result.GetValue(OtlpEndpoint) ?? (environment("OTEL_EXPORTER_OTLP_ENDPOINT") is { Length: > 0 } standard ? ParseEndpoint(standard) : null),
        Protocol = result.GetValue(OtlpProtocol) ?? (environment("OTEL_EXPORTER_OTLP_PROTOCOL") is { Length: > 0 } protocol ? ParseProtocol(protocol) : OtlpExportProtocol.HttpProtobuf),
        SamplingRatio = result.GetValue(TraceSampling),
        KeyDepth = result.GetValue(TraceKeyDepth),
    };

    private static Uri ParseEndpoint(string text)
        => Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new FormatException($"--otlp-endpoint '{text}' is not an http:// or https:// URL like http://127.0.0.1:4318");

    private static OtlpExportProtocol ParseProtocol(string text) => text.ToLowerInvariant() switch
    {
        "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
        "grpc" => OtlpExportProtocol.Grpc,
        _ => throw new FormatException($"--otlp-protocol '{text}' is not http/protobuf or grpc"),
    };

    private static double ParseRatio(string text)
        => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var ratio) && ratio is >= 0 and <= 1
            ? ratio
            : throw new FormatException($"--trace-sampling '{text}' must be a number from 0 to 1, like 0.01");
}
