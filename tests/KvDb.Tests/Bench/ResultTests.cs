// Recording (warm-up excluded, errors by kind) and the table and JSON made from it.
using System.Globalization;
using System.Text.Json;
using KvDb.Bench;

namespace KvDb.Tests.Bench;

public sealed class ResultTests
{
    private static BenchOptions Options(string mix = "put=50,get=50", int? rate = null) => new()
    {
        Endpoints = [new Uri("http://127.0.0.1:12380/")],
        Mix = OperationMix.Parse(mix),
        Concurrency = 4,
        TargetRate = rate,
        Preload = true,
    };

    private static LatencyRecorder RecorderWithSomeOfEverything()
    {
        var recorder = new LatencyRecorder(shardCount: 2, highestTrackableMicroseconds: 60_000_000);
        for (var i = 1; i <= 1000; i++)
        {
            recorder.Record(i, OperationKind.Put, RequestOutcome.Success, microseconds: i * 10, measured: true);
            recorder.Record(i, OperationKind.Get, RequestOutcome.Success, microseconds: i, measured: true);
        }

        recorder.Record(0, OperationKind.Get, RequestOutcome.NotFound, 5, measured: true);
        recorder.Record(0, OperationKind.Put, RequestOutcome.Error, 5, measured: true, error: "http 503");
        recorder.Record(1, OperationKind.Put, RequestOutcome.Error, 5, measured: true, error: "http 503");
        recorder.Record(1, OperationKind.Get, RequestOutcome.Error, 5, measured: true, error: "timeout");
        // Warm-up: counted for progress, absent from the results.
        recorder.Record(0, OperationKind.Put, RequestOutcome.Success, 1_000_000, measured: false);
        recorder.Record(0, OperationKind.Put, RequestOutcome.Error, 1_000_000, measured: false, error: "connection");
        return recorder;
    }

    [Fact]
    public void Warm_up_requests_count_for_progress_only()
    {
        var recorder = RecorderWithSomeOfEverything();
        recorder.Progress().Should().Be((2006L, 4L));
        var recording = recorder.Snapshot();
        recording.Histograms[(int)OperationKind.Put].TotalCount.Should().Be(1000);
        recording.Histograms[(int)OperationKind.Get].TotalCount.Should().Be(1001);
        recording.ErrorKinds.Should().Equal(new Dictionary<string, long> { ["http 503"] = 2, ["timeout"] = 1 });
    }

    [Fact]
    public void Latencies_beyond_the_range_are_kept_as_its_top()
    {
        var recorder = new LatencyRecorder(1, 1_000);
        recorder.Record(0, OperationKind.Put, RequestOutcome.Success, 5_000_000, measured: true);
        var recording = recorder.Snapshot();
        recording.Clamped.Should().Be(1);
        recording.Histograms[0].TotalCount.Should().Be(1);
    }

    [Fact]
    public void Summaries_have_ordered_percentiles_and_throughput_over_the_elapsed_time()
    {
        var result = BenchResult.From(Options(), RecorderWithSomeOfEverything().Snapshot(), TimeSpan.FromSeconds(2));
        result.Operations.Select(o => o.Name).Should().Equal("put", "get");
        var put = result.Operations[0];
        put.Ops.Should().Be(1000);
        put.OpsPerSecond.Should().Be(500);
        put.Errors.Should().Be(2);
        put.Latency!.P50.Should().BeApproximately(5.0, 0.01);   // 500 × 10 µs
        put.Latency.Max.Should().BeApproximately(10.0, 0.01);
        result.Total.Ops.Should().Be(2001);
        result.Total.NotFound.Should().Be(1);
        result.Total.Errors.Should().Be(3);
        foreach (var l in result.Operations.Append(result.Total).Select(o => o.Latency!))
        {
            l.P50.Should().BeLessThanOrEqualTo(l.P90);
            l.P90.Should().BeLessThanOrEqualTo(l.P99);
            l.P99.Should().BeLessThanOrEqualTo(l.P999);
            l.P999.Should().BeLessThanOrEqualTo(l.Max);
        }
    }

    [Fact]
    public void The_json_has_every_documented_field()
    {
        var result = BenchResult.From(Options(), RecorderWithSomeOfEverything().Snapshot(), TimeSpan.FromSeconds(2));
        using var json = JsonDocument.Parse(ResultPrinter.Json(result));
        var root = json.RootElement;
        root.GetProperty("target").GetString().Should().Be("kvdb");
        root.GetProperty("mode").GetString().Should().Be("closed-loop");
        root.GetProperty("targetRate").ValueKind.Should().Be(JsonValueKind.Null);
        root.GetProperty("mix").GetString().Should().Be("put=50,get=50");
        root.GetProperty("consistency").GetString().Should().Be("linearizable");
        root.GetProperty("elapsedSeconds").GetDouble().Should().Be(2);
        root.GetProperty("total").GetProperty("opsPerSecond").GetDouble().Should().Be(1000.5);
        root.GetProperty("operations").GetProperty("get").GetProperty("notFound").GetInt64().Should().Be(1);
        var latency = root.GetProperty("operations").GetProperty("put").GetProperty("latencyMs");
        foreach (var name in new[] { "p50", "p90", "p99", "p999", "max", "mean" })
            latency.GetProperty(name).GetDouble().Should().BePositive();
        root.GetProperty("errors").GetProperty("http 503").GetInt64().Should().Be(2);
        root.GetProperty("errors").GetProperty("timeout").GetInt64().Should().Be(1);
    }

    [Fact]
    public void The_table_has_a_row_per_operation_a_total_and_the_errors()
    {
        var table = ResultPrinter.Table(BenchResult.From(Options(), RecorderWithSomeOfEverything().Snapshot(), TimeSpan.FromSeconds(2)));
        var lines = table.Split('\n');
        lines.Should().Contain(l => l.StartsWith("put ") && l.Contains("500.0") && l.Contains(" 5.00"));
        lines.Should().Contain(l => l.StartsWith("get "));
        lines.Should().Contain(l => l.StartsWith("total "));
        table.Should().Contain("http 503 × 2").And.Contain("timeout × 1").And.Contain("p99.9 ms");
    }

    [Fact]
    public void Numbers_do_not_depend_on_the_current_culture()
    {
        var saved = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
            var result = BenchResult.From(Options(), RecorderWithSomeOfEverything().Snapshot(), TimeSpan.FromSeconds(2));
            ResultPrinter.Table(result).Should().Contain("500.0").And.NotContain("500,0");
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }

    [Fact]
    public void A_run_without_successes_has_no_latencies_and_a_pure_mix_has_no_total_row()
    {
        var recorder = new LatencyRecorder(1, 1_000_000);
        recorder.Record(0, OperationKind.Put, RequestOutcome.Error, 10, measured: true, error: "connection");
        var result = BenchResult.From(Options("put=100"), recorder.Snapshot(), TimeSpan.FromSeconds(1));
        result.Total.Latency.Should().BeNull();
        using var json = JsonDocument.Parse(ResultPrinter.Json(result));
        json.RootElement.GetProperty("total").GetProperty("latencyMs").ValueKind.Should().Be(JsonValueKind.Null);
        var table = ResultPrinter.Table(result);
        table.Split('\n').Should().NotContain(l => l.StartsWith("total"));
        table.Should().Contain("connection × 1");
    }

    [Fact]
    public void An_open_loop_run_that_fell_short_of_its_rate_says_so()
    {
        var recorder = new LatencyRecorder(1, 1_000_000);
        for (var i = 0; i < 100; i++)
            recorder.Record(0, OperationKind.Put, RequestOutcome.Success, 10, measured: true);
        var result = BenchResult.From(Options("put=100", rate: 1000), recorder.Snapshot(), TimeSpan.FromSeconds(1));
        result.MissedTargetRate.Should().BeTrue();
        ResultPrinter.Table(result).Should().Contain("below --target-rate 1000");
    }

    [Fact]
    public void Progress_lines_name_the_phase_rate_and_errors()
    {
        ProgressReporter.Line(TimeSpan.FromSeconds(3), warmingUp: false, 12345.6, null, 2).Should().Be("bench    3s measuring     12346 ops/s  errors 2");
        ProgressReporter.Line(TimeSpan.FromSeconds(1), warmingUp: true, 10, 500, 0).Should().Contain("warm-up").And.Contain("(target 500)");
    }
}
