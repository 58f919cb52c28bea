// What `kvdb bench kafka` measured, and how it is printed: a table for people, or one JSON object
// (--json) whose field names are stable for scripts:
//   endpoints, keyspace, partitions, keys, flushIntervalMs,
//   runs: [{recordSize, writers, records, seconds, recordsPerSecond, mibPerSecond, batches,
//           skipped, lag: null or {rate, records, latencyMs: {p50, p90, p99, p999, max, mean}}}],
//   failures: ["one line each"]
// Invariants: MiB/s counts record values (--record-sizes each), MiB = 1,048,576 bytes; a run
// that failed is absent from runs and named in failures; numbers use the invariant culture.
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace KvDb.Bench;

/// <summary>The lag phase of one run: from producing a record to a reader following its list receiving it.</summary>
public sealed record KafkaLagResult(int Rate, long Records, LatencySummary? Latency);

/// <summary>One run: <paramref name="Records"/> records of <paramref name="RecordSize"/> bytes through <paramref name="Writers"/> writers.</summary>
public sealed record KafkaRunResult(int RecordSize, int Writers, long Records, double Seconds, double RecordsPerSecond, double MiBPerSecond, long Batches, long Skipped, KafkaLagResult? Lag);

/// <summary>Everything a <c>kvdb bench kafka</c> run reports.</summary>
public sealed class KafkaBenchResult
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The options of the run.</summary>
    public required KafkaBenchOptions Options { get; init; }

    /// <summary>The keyspace the lists were in.</summary>
    public required string Keyspace { get; init; }

    /// <summary>The runs that completed, in order.</summary>
    public List<KafkaRunResult> Runs { get; } = [];

    /// <summary>What went wrong, one line each.</summary>
    public List<string> Failures { get; } = [];

    /// <summary>The human-readable report.</summary>
    public string Table()
    {
        var o = Options;
        var text = new StringBuilder();
        text.AppendLine(Invariant, $"Kafka bridge into kvdb ({o.Endpoints.Count} endpoint{(o.Endpoints.Count == 1 ? "" : "s")}), librdkafka's mock cluster: {o.Partitions} partitions, {o.Keys} keys, nonce = offset, flush interval {o.FlushInterval.TotalMilliseconds:0} ms");
        text.AppendLine();
        text.AppendLine(Invariant, $"{"size",6} {"writers",7} {"records",9} {"records/s",10} {"MiB/s",7} {"appends",8} {"lag p50 ms",11} {"lag p99 ms",11} {"lag max ms",11}");
        foreach (var r in Runs)
            text.AppendLine(Invariant, $"{r.RecordSize,6} {r.Writers,7} {r.Records,9} {r.RecordsPerSecond,10:0} {r.MiBPerSecond,7:0.00} {r.Batches,8} {Ms(r.Lag?.Latency?.P50),11} {Ms(r.Lag?.Latency?.P99),11} {Ms(r.Lag?.Latency?.Max),11}");
        if (o.LagRate > 0)
            text.AppendLine(Invariant, $"lag: {o.LagRate} records/s for {o.LagDuration.TotalSeconds:0.###}s onto {o.LagKeys} lists, after the backlog drained; produce to a reader following the list");
        text.AppendLine();
        ResultPrinter.AppendFailures(text, Failures, "failures: none (every record landed once)");
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
            json.WriteString("keyspace", Keyspace);
            json.WriteNumber("partitions", o.Partitions);
            json.WriteNumber("keys", o.Keys);
            json.WriteNumber("flushIntervalMs", o.FlushInterval.TotalMilliseconds);
            json.WriteStartArray("runs");
            foreach (var r in Runs)
            {
                json.WriteStartObject();
                json.WriteNumber("recordSize", r.RecordSize);
                json.WriteNumber("writers", r.Writers);
                json.WriteNumber("records", r.Records);
                json.WriteNumber("seconds", r.Seconds);
                json.WriteNumber("recordsPerSecond", r.RecordsPerSecond);
                json.WriteNumber("mibPerSecond", r.MiBPerSecond);
                json.WriteNumber("batches", r.Batches);
                json.WriteNumber("skipped", r.Skipped);
                if (r.Lag is { } lag)
                {
                    json.WriteStartObject("lag");
                    json.WriteNumber("rate", lag.Rate);
                    json.WriteNumber("records", lag.Records);
                    ResultPrinter.WriteLatency(json, lag.Latency, "latencyMs");
                    json.WriteEndObject();
                }
                else
                {
                    json.WriteNull("lag");
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            ResultPrinter.WriteStrings(json, "failures", Failures);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length) + "\n";
    }

    private static string Ms(double? value) => value is { } v ? v.ToString("0.00", Invariant) : "-";
}
