// Prints a BenchResult for people (a table) or for scripts (one JSON object, --json).
// Invariants: numbers use the invariant culture (a '.' decimal point whatever the locale);
// latencies are milliseconds with microsecond precision; the JSON has the same numbers as the
// table and its field names are stable for scripts (bench/compare-etcd.sh reads them):
//   target, endpoints, mode, targetRate, concurrency, httpVersion, idempotencyKeys, mix, consistency, valueSize, keys,
//   preloaded, warmupSeconds, durationSeconds, elapsedSeconds, clampedLatencies,
//   total and operations.{put,get}: {ops, opsPerSecond, notFound, errors,
//   latencyMs: {p50, p90, p99, p999, max, mean} or null}, errors: {"http 503": n, ...},
//   watch: null without --watchers, else {watchers, ranges, endpoint, openSeconds,
//   catchUpSeconds, failedWatchers, behindWatchers, firstFailure (string or null),
//   putsWithoutRevision, deliveries: {expected, delivered, missing, duplicates, beforeAck,
//   outOfRange, clamped}, latencyMs: {p50, p90, p99, p999, max, mean} or null (from each put's
//   acknowledgement to each matching watcher), member: {workingSetBytesBefore,
//   workingSetBytesAfter, managedHeapBytesBefore, managedHeapBytesAfter, openWatchesBefore,
//   openWatchesAfter} (each null when the member's /metrics did not say)}.
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
        text.AppendLine(Invariant, $"target {Name(o.Target)} ({o.Endpoints.Count} endpoint{(o.Endpoints.Count == 1 ? "" : "s")}), {result.Mode}{rate}, concurrency {o.Concurrency}, HTTP/{(o.RequestVersion.Major == 2 ? "2" : "1.1")}, mix {o.Mix}{(o.IdempotencyKeys ? " (puts with idempotency keys)" : "")}{(o.Mix.Has(OperationKind.Get) ? $", {result.Consistency} gets" : "")}, {o.ValueSize}-byte values, {o.Keys} keys{(o.Preload ? " (preloaded)" : "")}");
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
        if (result.Watch is { } watch)
            AppendWatch(text, watch);
        return text.ToString();
    }

    private static void AppendWatch(StringBuilder text, WatchResult w)
    {
        var d = w.Deliveries;
        var l = w.Latency;
        text.AppendLine();
        text.AppendLine(Invariant, $"watch: {w.Watchers} watchers over {w.Ranges} key ranges on {w.Endpoint}, all open and caught up after {w.OpenSeconds:0.00}s; caught up with the last put {w.CatchUpSeconds:0.00}s after the load stopped");
        text.AppendLine(Invariant, $"{"deliveries",-10} {"expected",10} {"delivered",10} {"missing",9} {"duplicates",10} {"before ack",10}");
        text.AppendLine(Invariant, $"{"",-10} {d.Expected,10} {d.Delivered,10} {d.Missing,9} {d.Duplicates,10} {d.BeforeAck,10}");
        text.AppendLine(Invariant, $"{"delivery",-10} {"p50 ms",9} {"p90 ms",9} {"p99 ms",9} {"p99.9 ms",9} {"max ms",9}");
        text.AppendLine(Invariant, $"{"",-10} {Ms(l?.P50),9} {Ms(l?.P90),9} {Ms(l?.P99),9} {Ms(l?.P999),9} {Ms(l?.Max),9}");
        text.AppendLine(Invariant, $"member memory: working set {MiB(w.Before.WorkingSetBytes)} before the watches, {MiB(w.After.WorkingSetBytes)} after the run; managed heap {MiB(w.Before.ManagedHeapBytes)} → {MiB(w.After.ManagedHeapBytes)}; open watches {Count(w.Before.OpenWatches)} → {Count(w.After.OpenWatches)}");
        if (w.FailedWatchers > 0)
            text.AppendLine(Invariant, $"note: {w.FailedWatchers} watchers' streams ended early; the first: {w.FirstFailure}");
        if (w.BehindWatchers > 0)
            text.AppendLine(Invariant, $"note: {w.BehindWatchers} watchers had not caught up with the last put when the wait ended; their missing deliveries may be late rather than lost.");
        if (d.OutOfRange > 0)
            text.AppendLine(Invariant, $"note: {d.OutOfRange} events arrived at watchers whose range does not hold their key.");
        if (w.PutsWithoutRevision > 0)
            text.AppendLine(Invariant, $"note: {w.PutsWithoutRevision} measured puts were answered without a revision and could not be matched.");
        if (d.Clamped > 0)
            text.AppendLine(Invariant, $"note: {d.Clamped} delivery latencies exceeded the histogram's range and were recorded as its maximum.");
    }

    private static string MiB(long? bytes) => bytes is { } b ? (b / 1048576.0).ToString("0.0", Invariant) + " MiB" : "unknown";

    private static string Count(long? value) => value is { } v ? v.ToString(Invariant) : "unknown";

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
            json.WriteString("httpVersion", o.RequestVersion.Major == 2 ? "2" : "1.1");
            json.WriteBoolean("idempotencyKeys", o.IdempotencyKeys);
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
            if (result.Watch is { } watch)
                WriteWatch(json, watch);
            else
                json.WriteNull("watch");
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
        WriteLatency(json, s.Latency);
        json.WriteEndObject();
    }

    /// <summary>Writes <paramref name="latency"/> as the object <paramref name="name"/> (ms), or null when nothing was measured.</summary>
    /// <summary>Writes <paramref name="values"/> as the array <paramref name="name"/>.</summary>
    internal static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<object> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
            json.WriteStringValue(value.ToString());
        json.WriteEndArray();
    }

    /// <summary>The report's last lines: one per failure, or <paramref name="none"/>.</summary>
    internal static void AppendFailures(StringBuilder text, IReadOnlyList<string> failures, string none)
    {
        if (failures.Count == 0)
            text.AppendLine(none);
        foreach (var failure in failures)
            text.AppendLine("failure: " + failure);
    }

    internal static void WriteLatency(Utf8JsonWriter json, LatencySummary? latency, string name = "latencyMs")
    {
        if (latency is { } l)
        {
            json.WriteStartObject(name);
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
            json.WriteNull(name);
        }
    }

    private static void WriteWatch(Utf8JsonWriter json, WatchResult w)
    {
        json.WriteStartObject("watch");
        json.WriteNumber("watchers", w.Watchers);
        json.WriteNumber("ranges", w.Ranges);
        json.WriteString("endpoint", w.Endpoint.ToString());
        json.WriteNumber("openSeconds", w.OpenSeconds);
        json.WriteNumber("catchUpSeconds", w.CatchUpSeconds);
        json.WriteNumber("failedWatchers", w.FailedWatchers);
        json.WriteNumber("behindWatchers", w.BehindWatchers);
        json.WriteString("firstFailure", w.FirstFailure);
        json.WriteNumber("putsWithoutRevision", w.PutsWithoutRevision);
        var d = w.Deliveries;
        json.WriteStartObject("deliveries");
        json.WriteNumber("expected", d.Expected);
        json.WriteNumber("delivered", d.Delivered);
        json.WriteNumber("missing", d.Missing);
        json.WriteNumber("duplicates", d.Duplicates);
        json.WriteNumber("beforeAck", d.BeforeAck);
        json.WriteNumber("outOfRange", d.OutOfRange);
        json.WriteNumber("clamped", d.Clamped);
        json.WriteEndObject();
        WriteLatency(json, w.Latency);
        json.WriteStartObject("member");
        WriteNumberOrNull(json, "workingSetBytesBefore", w.Before.WorkingSetBytes);
        WriteNumberOrNull(json, "workingSetBytesAfter", w.After.WorkingSetBytes);
        WriteNumberOrNull(json, "managedHeapBytesBefore", w.Before.ManagedHeapBytes);
        WriteNumberOrNull(json, "managedHeapBytesAfter", w.After.ManagedHeapBytes);
        WriteNumberOrNull(json, "openWatchesBefore", w.Before.OpenWatches);
        WriteNumberOrNull(json, "openWatchesAfter", w.After.OpenWatches);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteNumberOrNull(Utf8JsonWriter json, string name, long? value)
    {
        if (value is { } v)
            json.WriteNumber(name, v);
        else
            json.WriteNull(name);
    }
}
