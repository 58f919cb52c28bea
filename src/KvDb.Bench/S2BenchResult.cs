// What `kvdb bench s2` measured, and how it is printed: a table for people, or one JSON object
// (--json) whose field names are stable for scripts (bench/s2-bench.sh reads them):
//   endpoints, basin, recordSize, batch, inflight, warmupSeconds, durationSeconds,
//   append: [{sessions, records, recordsPerSecond, mibPerSecond, elapsedSeconds, failedSessions,
//            ackLatencyMs: {p50, p90, p99, p999, max, mean} or null}],
//   tail: null or {records, beforeAck, missing, latencyMs (ack to reader), endToEndLatencyMs
//          (send to reader), ackLatencyMs (send to ack)},
//   catchUp: null or {records, bytes, fillSeconds, fillMibPerSecond, readSeconds, mibPerSecond,
//            recordsPerSecond},
//   failures: ["one line each"]
// Invariants: MiB/s counts record bodies (--record-size each), MiB = 1,048,576 bytes; a
// workload that did not run is absent (empty list or null); numbers use the invariant culture.
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace KvDb.Bench;

/// <summary>One append run: <paramref name="Sessions"/> sessions, records acknowledged within the measured window.</summary>
public sealed record S2AppendResult(int Sessions, long Records, double RecordsPerSecond, double MiBPerSecond, double ElapsedSeconds, int FailedSessions, LatencySummary? AckLatency);

/// <summary>The tail run: latency from a record's ack to its arrival at the tailing reader.</summary>
/// <param name="Records">Measured records the reader received.</param>
/// <param name="BeforeAck">Of those, the ones it received before the writer had their ack (counted as 0).</param>
/// <param name="Missing">Measured acknowledged records the reader never received.</param>
/// <param name="Latency">From the writer's ack to the reader.</param>
/// <param name="EndToEnd">From sending the append to the reader.</param>
/// <param name="AckLatency">The writer's ack latency.</param>
public sealed record S2TailResult(long Records, long BeforeAck, long Missing, LatencySummary? Latency, LatencySummary? EndToEnd, LatencySummary? AckLatency);

/// <summary>The catch-up run: filling the stream, then reading it from seq_num 0.</summary>
public sealed record S2CatchUpResult(long Records, long Bytes, double FillSeconds, double FillMiBPerSecond, double ReadSeconds, double MiBPerSecond, double RecordsPerSecond);

/// <summary>Everything a <c>kvdb bench s2</c> run reports.</summary>
public sealed class S2BenchResult
{
    /// <summary>The options of the run.</summary>
    public required S2BenchOptions Options { get; init; }

    /// <summary>The basin the run created.</summary>
    public required string Basin { get; init; }

    /// <summary>One entry per --sessions count that ran.</summary>
    public List<S2AppendResult> Append { get; } = [];

    /// <summary>The tail run, when it ran.</summary>
    public S2TailResult? Tail { get; set; }

    /// <summary>The catch-up run, when it ran to its end.</summary>
    public S2CatchUpResult? CatchUp { get; set; }

    /// <summary>What went wrong, one line each.</summary>
    public List<string> Failures { get; } = [];

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The human-readable report.</summary>
    public string Table()
    {
        var o = Options;
        var text = new StringBuilder();
        text.AppendLine(Invariant, $"S2 on kvdb ({o.Endpoints.Count} endpoint{(o.Endpoints.Count == 1 ? "" : "s")}), basin {Basin}: {o.RecordSize}-byte records, {o.Batch} per append, {o.Inflight} appends in flight per session; each run measured {o.Duration.TotalSeconds:0.###}s after a {o.Warmup.TotalSeconds:0.###}s warm-up");
        if (Append.Count > 0)
        {
            text.AppendLine();
            text.AppendLine(Invariant, $"{"append",-14} {"records",10} {"records/s",10} {"MiB/s",8} {"ack p50 ms",11} {"ack p99 ms",11} {"ack max ms",11}");
            foreach (var a in Append)
                text.AppendLine(Invariant, $"{a.Sessions + (a.Sessions == 1 ? " session" : " sessions"),-14} {a.Records,10} {a.RecordsPerSecond,10:0} {a.MiBPerSecond,8:0.00} {Ms(a.AckLatency?.P50),11} {Ms(a.AckLatency?.P99),11} {Ms(a.AckLatency?.Max),11}");
        }

        if (Tail is { } t)
        {
            text.AppendLine();
            text.AppendLine(Invariant, $"ack to tailing reader (another member): {t.Records} records, p50 {Ms(t.Latency?.P50)} ms, p90 {Ms(t.Latency?.P90)} ms, p99 {Ms(t.Latency?.P99)} ms, max {Ms(t.Latency?.Max)} ms; {t.BeforeAck} read before their ack (counted as 0), {t.Missing} never read");
            text.AppendLine(Invariant, $"  send to reader: p50 {Ms(t.EndToEnd?.P50)} ms, p99 {Ms(t.EndToEnd?.P99)} ms; send to ack: p50 {Ms(t.AckLatency?.P50)} ms, p99 {Ms(t.AckLatency?.P99)} ms");
        }

        if (CatchUp is { } c)
        {
            text.AppendLine();
            text.AppendLine(Invariant, $"catch-up read of {c.Bytes / 1048576.0:0} MiB ({c.Records} records) from seq_num 0 (another member): {c.MiBPerSecond:0.0} MiB/s, {c.RecordsPerSecond:0} records/s, in {c.ReadSeconds:0.0}s");
            text.AppendLine(Invariant, $"  (filled in {c.FillSeconds:0.0}s, {c.FillMiBPerSecond:0.0} MiB/s with full appends)");
        }

        text.AppendLine();
        ResultPrinter.AppendFailures(text, Failures, "failures: none");

        return text.ToString();
    }

    /// <summary>The machine-readable report: one JSON object (indented) and a newline.</summary>
    public string Json()
    {
        var o = Options;
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            ResultPrinter.WriteStrings(json, "endpoints", o.Endpoints);
            json.WriteString("basin", Basin);
            json.WriteNumber("recordSize", o.RecordSize);
            json.WriteNumber("batch", o.Batch);
            json.WriteNumber("inflight", o.Inflight);
            json.WriteNumber("warmupSeconds", o.Warmup.TotalSeconds);
            json.WriteNumber("durationSeconds", o.Duration.TotalSeconds);
            json.WriteStartArray("append");
            foreach (var a in Append)
            {
                json.WriteStartObject();
                json.WriteNumber("sessions", a.Sessions);
                json.WriteNumber("records", a.Records);
                json.WriteNumber("recordsPerSecond", a.RecordsPerSecond);
                json.WriteNumber("mibPerSecond", a.MiBPerSecond);
                json.WriteNumber("elapsedSeconds", a.ElapsedSeconds);
                json.WriteNumber("failedSessions", a.FailedSessions);
                ResultPrinter.WriteLatency(json, a.AckLatency, "ackLatencyMs");
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (Tail is { } t)
            {
                json.WriteStartObject("tail");
                json.WriteNumber("records", t.Records);
                json.WriteNumber("beforeAck", t.BeforeAck);
                json.WriteNumber("missing", t.Missing);
                ResultPrinter.WriteLatency(json, t.Latency, "latencyMs");
                ResultPrinter.WriteLatency(json, t.EndToEnd, "endToEndLatencyMs");
                ResultPrinter.WriteLatency(json, t.AckLatency, "ackLatencyMs");
                json.WriteEndObject();
            }
            else
            {
                json.WriteNull("tail");
            }

            if (CatchUp is { } c)
            {
                json.WriteStartObject("catchUp");
                json.WriteNumber("records", c.Records);
                json.WriteNumber("bytes", c.Bytes);
                json.WriteNumber("fillSeconds", c.FillSeconds);
                json.WriteNumber("fillMibPerSecond", c.FillMiBPerSecond);
                json.WriteNumber("readSeconds", c.ReadSeconds);
                json.WriteNumber("mibPerSecond", c.MiBPerSecond);
                json.WriteNumber("recordsPerSecond", c.RecordsPerSecond);
                json.WriteEndObject();
            }
            else
            {
                json.WriteNull("catchUp");
            }

            ResultPrinter.WriteStrings(json, "failures", Failures);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length) + "\n";
    }

    private static string Ms(double? value) => value is { } v ? v.ToString("0.00", Invariant) : "-";
}
