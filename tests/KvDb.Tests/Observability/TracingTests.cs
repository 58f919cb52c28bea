// Tracing's pieces that need no cluster: how much of a key a span may show, the flags, and that
// tracing off registers nothing at all (no tracer, so no listener and no per-request Activity).
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Trace;

namespace KvDb.Tests.Observability;

public sealed class TracingTests
{
    [Theory]
    [InlineData("users/42/name", 1, "users/")]
    [InlineData("users/42/name", 2, "users/42/")]
    [InlineData("users/42/name", 5, "users/42/")]
    [InlineData("users/42", 2, "users/")]
    [InlineData("config", 1, "")]
    [InlineData("users/", 1, "users/")]
    [InlineData("users/42/name", 0, "")]
    public void A_key_prefix_keeps_at_most_the_depths_segments_and_never_the_last(string key, int depth, string prefix)
        => KvdbTracing.KeyPrefix(System.Text.Encoding.UTF8.GetBytes(key), depth).Should().Be(prefix);

    [Fact]
    public void Tracing_off_registers_nothing_and_on_registers_a_tracer_exporting_to_v1_traces()
    {
        var member = new TracedMember(1, "http://127.0.0.1:12379", 12379);
        new ServiceCollection().AddTracing(TracingOptions.Off, member).Should().BeEmpty("without --otlp-endpoint nothing of OpenTelemetry is registered");
        var feature = new ServiceCollection().AddSingleton(Options(TracingOptions.Off));
        new ObservabilityFeature().AddServices(feature);
        feature.Should().NotContain(d => d.ServiceType == typeof(TracerProvider) || (d.ServiceType.Namespace ?? "").StartsWith("OpenTelemetry", StringComparison.Ordinal));

        var tracing = new TracingOptions { OtlpEndpoint = new Uri("http://127.0.0.1:4318"), SamplingRatio = 0.01 };
        tracing.ExportUri.Should().Be(new Uri("http://127.0.0.1:4318/v1/traces"));
        (tracing with { Protocol = OtlpExportProtocol.Grpc }).ExportUri.Should().Be(new Uri("http://127.0.0.1:4318"));
        var on = new ServiceCollection().AddSingleton(Options(tracing));
        new ObservabilityFeature().AddServices(on);
        on.Should().Contain(d => d.ServiceType == typeof(TracerProvider));
    }

    [Fact]
    public void The_flags_fall_back_to_OpenTelemetrys_standard_variables()
    {
        var environment = new Dictionary<string, string> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector:4317", ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc" };
        var outcome = CommandLine.Parse(["--trace-sampling", "0.25"], name => environment.GetValueOrDefault(name));
        var options = outcome.Should().BeOfType<CommandLineOutcome.Run>().Subject.Options.Tracing;
        options.OtlpEndpoint.Should().Be(new Uri("http://collector:4317"));
        options.Protocol.Should().Be(OtlpExportProtocol.Grpc);
        options.SamplingRatio.Should().Be(0.25);

        CommandLine.Parse(["--trace-sampling", "2"], _ => null).Should().BeOfType<CommandLineOutcome.Error>();
        CommandLine.Parse([], _ => null).Should().BeOfType<CommandLineOutcome.Run>().Which.Options.Tracing.Enabled.Should().BeFalse();
    }

    private static NodeOptions Options(TracingOptions tracing) => new()
    {
        PeerEndPoint = new IPEndPoint(IPAddress.Loopback, 12379),
        ClusterUrls = ["http://127.0.0.1:12379"],
        DataDir = "unused",
        Tracing = tracing,
    };
}
