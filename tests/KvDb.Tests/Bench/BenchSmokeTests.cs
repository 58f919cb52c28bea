// `kvdb bench` end to end as CI runs it: the real executable against a real single-member,
// in-memory kvdb for a couple of seconds. Never asserts on speed (CI machines are small and
// shared), only that the run worked: requests succeeded, none failed, percentiles are sane.
using System.Diagnostics;
using System.Text.Json;

namespace KvDb.Tests.Bench;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class BenchSmokeTests
{
    [Theory]
    [InlineData("put=50,get=50", "linearizable", null)]
    [InlineData("get=100", "local", "400")]
    public async Task A_short_run_against_one_member_succeeds_with_sane_percentiles(string mix, string consistency, string? targetRate)
    {
        await using var cluster = await KvdbCluster.StartAsync(1, "--in-memory");
        string[] args =
        [
            "bench", "--endpoints", cluster.Url(1).ToString(), "--duration", "2s", "--warmup", "500ms",
            "--concurrency", "8", "--keys", "500", "--mix", mix, "--consistency", consistency, "--json",
            .. targetRate is null ? Array.Empty<string>() : ["--target-rate", targetRate],
        ];

        var (exitCode, stdout, stderr) = await RunKvdbAsync(args, TimeSpan.FromMinutes(2));

        exitCode.Should().Be(0, $"stderr:\n{stderr}\nstdout:\n{stdout}");
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        var total = root.GetProperty("total");
        total.GetProperty("opsPerSecond").GetDouble().Should().BePositive();
        total.GetProperty("errors").GetInt64().Should().Be(0, stdout);
        total.GetProperty("notFound").GetInt64().Should().Be(0, "the keys were preloaded");
        root.GetProperty("errors").EnumerateObject().Should().BeEmpty();
        root.GetProperty("mode").GetString().Should().Be(targetRate is null ? "closed-loop" : "open-loop");

        var latency = total.GetProperty("latencyMs");
        var p50 = latency.GetProperty("p50").GetDouble();
        var p99 = latency.GetProperty("p99").GetDouble();
        var max = latency.GetProperty("max").GetDouble();
        p50.Should().BePositive();
        p50.Should().BeLessThanOrEqualTo(p99);
        p99.Should().BeLessThanOrEqualTo(max);
        stderr.Should().Contain("ops/s", "a progress line goes to stderr once a second");
    }

    [Fact]
    public async Task A_watch_run_delivers_every_measured_put_once_to_every_watcher_of_its_range()
    {
        await using var cluster = await KvdbCluster.StartAsync(1, "--in-memory");
        var (exitCode, stdout, stderr) = await RunKvdbAsync(
            [
                "bench", "--endpoints", cluster.Url(1).ToString(), "--duration", "2s", "--warmup", "500ms",
                "--concurrency", "8", "--keys", "500", "--mix", "put=100", "--watchers", "20", "--watch-ranges", "5", "--json",
            ],
            TimeSpan.FromMinutes(2));

        exitCode.Should().Be(0, $"stderr:\n{stderr}\nstdout:\n{stdout}");
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        root.GetProperty("total").GetProperty("errors").GetInt64().Should().Be(0, stdout);
        var watch = root.GetProperty("watch");
        watch.GetProperty("watchers").GetInt32().Should().Be(20);
        watch.GetProperty("ranges").GetInt32().Should().Be(5);
        watch.GetProperty("failedWatchers").GetInt32().Should().Be(0, stdout);
        watch.GetProperty("behindWatchers").GetInt32().Should().Be(0, stdout);
        watch.GetProperty("putsWithoutRevision").GetInt64().Should().Be(0, "kvdb answers every put with X-Kvdb-Revision");

        // Every measured put reaches the 4 watchers of its range: 20 watchers over 5 ranges.
        var deliveries = watch.GetProperty("deliveries");
        var expected = deliveries.GetProperty("expected").GetInt64();
        expected.Should().Be(4 * root.GetProperty("operations").GetProperty("put").GetProperty("ops").GetInt64());
        expected.Should().BePositive();
        deliveries.GetProperty("delivered").GetInt64().Should().Be(expected, stdout);
        deliveries.GetProperty("missing").GetInt64().Should().Be(0, stdout);
        deliveries.GetProperty("duplicates").GetInt64().Should().Be(0, stdout);
        deliveries.GetProperty("outOfRange").GetInt64().Should().Be(0, stdout);

        var latency = watch.GetProperty("latencyMs");
        latency.GetProperty("p50").GetDouble().Should().BeLessThanOrEqualTo(latency.GetProperty("p99").GetDouble());
        latency.GetProperty("p99").GetDouble().Should().BeLessThanOrEqualTo(latency.GetProperty("max").GetDouble());
        var member = watch.GetProperty("member");
        member.GetProperty("workingSetBytesAfter").GetInt64().Should().BePositive("kvdb exports process_working_set_bytes");
        member.GetProperty("openWatchesAfter").GetInt64().Should().BeGreaterThanOrEqualTo(20, "the watches are still open when the member is read");
    }

    [Fact]
    public async Task An_s2_run_against_three_members_appends_tails_and_catches_up_without_a_failure()
    {
        await using var cluster = await KvdbCluster.StartAsync(3, "--in-memory");
        var endpoints = string.Join(',', Enumerable.Range(1, 3).Select(i => cluster.Url(i).ToString().TrimEnd('/')));
        var (exitCode, stdout, stderr) = await RunKvdbAsync(
            [
                "bench", "s2", "--endpoints", endpoints, "--duration", "1s", "--warmup", "200ms",
                "--sessions", "1,3", "--record-size", "1024", "--batch", "4", "--inflight", "2", "--catchup-size", "2MiB", "--json",
            ],
            TimeSpan.FromMinutes(3));

        exitCode.Should().Be(0, $"stderr:\n{stderr}\nstdout:\n{stdout}");
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        root.GetProperty("failures").EnumerateArray().Should().BeEmpty(stdout);
        var append = root.GetProperty("append").EnumerateArray().ToList();
        append.Select(a => a.GetProperty("sessions").GetInt32()).Should().Equal(1, 3);
        foreach (var run in append)
        {
            run.GetProperty("records").GetInt64().Should().BePositive(stdout);
            (run.GetProperty("records").GetInt64() % 4).Should().Be(0, "records are counted by whole appends of --batch");
            run.GetProperty("mibPerSecond").GetDouble().Should().BePositive();
            run.GetProperty("failedSessions").GetInt32().Should().Be(0);
            Ordered(run.GetProperty("ackLatencyMs"));
        }

        var tail = root.GetProperty("tail");
        tail.GetProperty("records").GetInt64().Should().BePositive(stdout);
        tail.GetProperty("missing").GetInt64().Should().Be(0, "every acknowledged record reaches the tailing reader");
        Ordered(tail.GetProperty("latencyMs"));
        Ordered(tail.GetProperty("endToEndLatencyMs"));

        // 2 MiB of 1 KiB records, in appends of as many as fit S2's 1 MiB: 2048 rounded up to 3000.
        var catchUp = root.GetProperty("catchUp");
        catchUp.GetProperty("records").GetInt64().Should().Be(3000);
        catchUp.GetProperty("bytes").GetInt64().Should().Be(3000 * 1024);
        catchUp.GetProperty("mibPerSecond").GetDouble().Should().BePositive();
        stderr.Should().Contain("deleting basin").And.NotContain("warning", "the basin is deleted at the end");
    }

    [Fact]
    public async Task A_kafka_run_lands_every_record_once_through_a_bridge_process_per_run()
    {
        await using var cluster = await KvdbCluster.StartAsync(3, "--in-memory");
        var endpoints = string.Join(',', Enumerable.Range(1, 3).Select(i => cluster.Url(i).ToString().TrimEnd('/')));
        var (exitCode, stdout, stderr) = await RunKvdbAsync(
            [
                "bench", "kafka", "--endpoints", endpoints, "--records", "600", "--record-sizes", "100,300", "--writers", "1,2",
                "--partitions", "3", "--keys", "6", "--flush-interval", "20ms", "--lag-rate", "200", "--lag-duration", "1s", "--lag-keys", "3", "--json",
            ],
            TimeSpan.FromMinutes(4));

        exitCode.Should().Be(0, $"stderr:\n{stderr}\nstdout:\n{stdout}\nmembers:\n{cluster.Describe()}");
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        root.GetProperty("failures").EnumerateArray().Should().BeEmpty(stdout);
        var runs = root.GetProperty("runs").EnumerateArray().ToList();
        runs.Select(r => (r.GetProperty("recordSize").GetInt32(), r.GetProperty("writers").GetInt32())).Should().Equal((100, 1), (100, 2), (300, 1), (300, 2));
        foreach (var run in runs)
        {
            run.GetProperty("records").GetInt64().Should().Be(600);
            run.GetProperty("recordsPerSecond").GetDouble().Should().BePositive();
            run.GetProperty("skipped").GetInt64().Should().Be(0, "nothing is replayed in a run without failures");
            var lag = run.GetProperty("lag");
            lag.GetProperty("records").GetInt64().Should().Be(200);
            Ordered(lag.GetProperty("latencyMs"));
        }

        stderr.Should().NotContain("warning", "the keyspace is deleted at the end");
    }

    private static void Ordered(JsonElement latency)
    {
        var p50 = latency.GetProperty("p50").GetDouble();
        var p99 = latency.GetProperty("p99").GetDouble();
        p50.Should().BeLessThanOrEqualTo(p99);
        p99.Should().BeLessThanOrEqualTo(latency.GetProperty("max").GetDouble());
    }

    [Fact]
    public async Task A_bad_flag_is_one_line_on_stderr_and_exit_code_2()
    {
        var (exitCode, stdout, stderr) = await RunKvdbAsync(["bench", "--mix", "put=50,get=40"], TimeSpan.FromMinutes(1));
        exitCode.Should().Be(2);
        stdout.Should().BeEmpty();
        stderr.Trim().Should().StartWith("kvdb bench: --mix").And.NotContain("\n");
    }

    [Fact]
    public async Task Nothing_listening_means_exit_code_1_and_connection_errors()
    {
        var port = FreePorts.Take(1)[0];
        var (exitCode, stdout, stderr) = await RunKvdbAsync(
            ["bench", "--endpoints", $"http://127.0.0.1:{port}", "--duration", "300ms", "--warmup", "0s", "--concurrency", "2", "--mix", "put=100", "--json"],
            TimeSpan.FromMinutes(1));
        exitCode.Should().Be(1, stderr);
        using var json = JsonDocument.Parse(stdout);
        json.RootElement.GetProperty("errors").GetProperty("connection").GetInt64().Should().BePositive();
    }

    // stdout and stderr apart: the JSON result must be alone on stdout.
    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunKvdbAsync(IReadOnlyList<string> args, TimeSpan timeout)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(KvdbProcess.KvdbDll);
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        info.Environment["DOTNET_gcServer"] = "0";

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kvdb {string.Join(' ', args)} ran longer than {timeout}; stderr so far:\n{await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
