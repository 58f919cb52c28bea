// Prints a BenchResult for people (a table) or for scripts (one JSON object, --json).
// Invariants: numbers use the invariant culture (a '.' decimal point whatever the locale);
// latencies are milliseconds with microsecond precision; the JSON has the same numbers as the
// table and its field names are stable for scripts (bench/compare-etcd.sh reads them):
//   target, endpoints, mode, targetRate, concurrency, mix, consistency, valueSize, keys,
//   preloaded, warmupSeconds, durationSeconds, elapsedSeconds, clampedLatencies,
//   total and operations.{put,get}: {ops, opsPerSecond, notFound, errors,
//   latencyMs: {p50, p90, p99, p999, max, mean} or null}, errors: {"http 503": n, ...}.
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace KvDb.Bench;

/// <summary>Formats benchmark results.</summary>
public static class ResultPrinter
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The human-readable report.</summary>
    public static string Table(BenchResult result)
    {
        var o = result.Options;
        var text = new StringBuilder();
        var rate = o.TargetRate is { } target ? $" at {target.ToString(Invariant)} ops/s" : "";
        text.AppendLine(Invariant, $"target {Name(o.Target)} ({o.Endpoints.Count} endpoint{(o.Endpoints.Count == 1 ? "" : "s")}), {result.Mode}{rate}, concurrency {o.Concurrency}, mix {o.Mix}{(o.Mix.Has(OperationKind.Get) ? $", {result.Consistency} gets" : "")}, {o.ValueSize}-byte values, {o.Keys} keys{(o.Preload ? " (preloaded)" : "")}");
        text.AppendLine(Invariant, $"measured {result.ElapsedSeconds:0.00}s after a {o.Warmup.TotalSeconds:0.###}s warm-up");
        text.AppendLine();
        text.AppendLine(Invariant, $"{"op",-6} {"ops",10} {"ops/s",10} {"p50 ms",9} {"p90 ms",9} {"p99 ms",9} {"p99.9 ms",9} {"max ms",9} {"not found",10} {"errors",8}");
        foreach (var operation in result.Operations)
            AppendRow(text, operation);
        if (result.Operations.Count > 1)
            AppendRow(text, result.Total);

        text.AppendLine();
        if (result.Errors.Count == 0)
        {
            text.AppendLine("errors: none");
        }
        else
        {
            text.Append("errors:");
            foreach (var (kind, count) in result.Errors)
                text.Append(Invariant, $" {kind} × {count};");
            text.Length--;
            text.AppendLine();
        }

        if (result.MissedTargetRate)
            text.AppendLine(Invariant, $"note: the achieved rate is more than 5% below --target-rate {o.TargetRate}: the server is saturated or --concurrency {o.Concurrency} is too low; the latencies include the lateness.");
        if (result.ClampedLatencies > 0)
            text.AppendLine(Invariant, $"note: {result.ClampedLatencies} latencies exceeded the histogram's range and were recorded as its maximum.");
        return text.ToString();
    }

    private static void AppendRow(StringBuilder text, OperationSummary s)
    {
        var l = s.Latency;
        text.AppendLine(Invariant, $"{s.Name,-6} {s.Ops,10} {s.OpsPerSecond,10:0.0} {Ms(l?.P50),9} {Ms(l?.P90),9} {Ms(l?.P99),9} {Ms(l?.P999),9} {Ms(l?.Max),9} {s.NotFound,10} {s.Errors,8}");
    }

    private static string Ms(double? value) => value is { } v ? v.ToString("0.000", Invariant) : "-";

    private static string Name(BenchTarget target) => target is BenchTarget.Etcd ? "etcd" : "kvdb";

    /// <summary>The machine-readable report: one JSON object (indented) and a newline.</summary>
    public static string Json(BenchResult result)
    {
        var o = result.Options;
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("target", Name(o.Target));
            json.WriteStartArray("endpoints");
            foreach (var endpoint in o.Endpoints)
                json.WriteStringValue(endpoint.ToString());
            json.WriteEndArray();
            json.WriteString("mode", result.Mode);
            if (o.TargetRate is { } rate)
                json.WriteNumber("targetRate", rate);
            else
                json.WriteNull("targetRate");
            json.WriteNumber("concurrency", o.Concurrency);
            json.WriteString("mix", o.Mix.ToString());
            json.WriteString("consistency", result.Consistency);
            json.WriteNumber("valueSize", o.ValueSize);
            json.WriteNumber("keys", o.Keys);
            json.WriteBoolean("preloaded", o.Preload);
            json.WriteNumber("warmupSeconds", o.Warmup.TotalSeconds);
            json.WriteNumber("durationSeconds", o.Duration.TotalSeconds);
            json.WriteNumber("elapsedSeconds", result.ElapsedSeconds);
            json.WriteNumber("clampedLatencies", result.ClampedLatencies);
            json.WritePropertyName("total");
            WriteSummary(json, result.Total);
            json.WriteStartObject("operations");
            foreach (var operation in result.Operations)
            {
                json.WritePropertyName(operation.Name);
                WriteSummary(json, operation);
            }

            json.WriteEndObject();
            json.WriteStartObject("errors");
            foreach (var (kind, count) in result.Errors)
                json.WriteNumber(kind, count);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length) + "\n";
    }

    private static void WriteSummary(Utf8JsonWriter json, OperationSummary s)
    {
        json.WriteStartObject();
        json.WriteNumber("ops", s.Ops);
        json.WriteNumber("opsPerSecond", s.OpsPerSecond);
        json.WriteNumber("notFound", s.NotFound);
        json.WriteNumber("errors", s.Errors);
        if (s.Latency is { } l)
        {
            json.WriteStartObject("latencyMs");
            json.WriteNumber("p50", l.P50);
            json.WriteNumber("p90", l.P90);
            json.WriteNumber("p99", l.P99);
            json.WriteNumber("p999", l.P999);
            json.WriteNumber("max", l.Max);
            json.WriteNumber("mean", l.Mean);
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("latencyMs");
        }

        json.WriteEndObject();
    }
}
