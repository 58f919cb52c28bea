// What a user sees when kvdb cannot start: one clear line and a non-zero exit code.
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace KvDb.Tests.Hosting;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class StartupTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Help_explains_every_flag_and_exits_zero()
    {
        var (code, output) = await KvdbProcess.RunToExitAsync(["--help"], ExitTimeout);
        code.Should().Be(0);
        foreach (var flag in new[] { "--id", "--cluster", "--port", "--join", "--data-dir", "--in-memory", "--max-value-bytes", "--request-timeout", "--snapshot-interval", "--min-free-disk", "--election-timeout", "--log-level", "KVDB_CLUSTER" })
            output.Should().Contain(flag);
    }

    [Theory]
    [InlineData("--id", "4", "outside --cluster")]
    [InlineData("--cluster", "http://127.0.0.1", "is not a peer URL")]
    [InlineData("--cluster", "ftp://127.0.0.1:1234", "is not a peer URL")]
    [InlineData("--port", "70000", "--port")]
    [InlineData("--bogus", "1", "unknown flag '--bogus'")]
    [InlineData("--election-timeout", "soon", "is not a duration")]
    public async Task Bad_flags_give_one_clear_line_and_exit_2(string flag, string value, string expected)
    {
        var (code, output) = await KvdbProcess.RunToExitAsync([flag, value, "--in-memory"], ExitTimeout);
        code.Should().Be(2, output);
        output.Trim().Split('\n').Should().ContainSingle().Which.Should().StartWith("kvdb: ").And.Contain(expected);
    }

    [Fact]
    public async Task A_port_in_use_is_named_and_exits_nonzero()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var busy = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var raft = FreePorts.Take(1)[0];

        var (code, output) = await KvdbProcess.RunToExitAsync(
            ["--cluster", $"http://127.0.0.1:{raft}", "--port", busy.ToString(CultureInfo.InvariantCulture), "--in-memory"], ExitTimeout);
        code.Should().NotBe(0);
        output.Should().Contain($"port {busy}").And.Contain("already in use");
    }

    [Fact]
    public async Task An_unusable_data_directory_is_named_and_exits_nonzero()
    {
        var file = Path.GetTempFileName();
        try
        {
            var ports = FreePorts.Take(2);
            var dataDir = Path.Combine(file, "data");
            var (code, output) = await KvdbProcess.RunToExitAsync(
                ["--cluster", $"http://127.0.0.1:{ports[0]}", "--port", ports[1].ToString(CultureInfo.InvariantCulture), "--data-dir", dataDir], ExitTimeout);
            code.Should().NotBe(0);
            output.Should().Contain(dataDir);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Environment_variables_configure_a_member()
    {
        var ports = FreePorts.Take(2);
        await using var member = new KvdbProcess(1, [], new Dictionary<string, string>
        {
            ["KVDB_CLUSTER"] = $"http://127.0.0.1:{ports[0]}",
            ["KVDB_PORT"] = ports[1].ToString(CultureInfo.InvariantCulture),
            ["KVDB_IN_MEMORY"] = "true",
        });
        member.Start();

        using var client = new HttpClient();
        var pong = await Eventually.ValueAsync(() => client.GetStringAsync($"http://127.0.0.1:{ports[1]}/ping"), _ => true, "the member configured by KVDB_* to answer /ping",
            TimeSpan.FromSeconds(30), () => member.Output, retryOn: e => e is HttpRequestException, interval: TimeSpan.FromMilliseconds(50));
        pong.Should().Be("pong", member.Output);
    }

    [Fact]
    public async Task A_corrupted_table_file_stops_the_member_at_start_naming_the_file()
    {
        await using var cluster = await KvdbCluster.StartAsync(1, "--snapshot-interval", "5");
        for (var i = 0; i < 20; i++)
            await cluster.PutWithRetryAsync(1, $"k{i}", new string('v', 200));
        var tables = Path.Combine(cluster.DataDir(1), "db");
        await Eventually.WaitUntilAsync(() => Directory.GetFiles(tables, "*.sst").Length > 0, "a flush to write a table file", TimeSpan.FromSeconds(20),
            cluster.Describe, TimeSpan.FromMilliseconds(50));
        (await cluster.Member(1).StopAsync(TimeSpan.FromSeconds(20))).Should().Be(0);

        var table = Directory.GetFiles(tables, "*.sst").OrderBy(f => f).First();
        await using (var file = new FileStream(table, FileMode.Open))
            file.SetLength(file.Length - 7);

        var (code, output) = await KvdbProcess.RunToExitAsync(cluster.Member(1).Args, ExitTimeout);
        code.Should().NotBe(0);
        output.Should().Contain(Path.GetFileName(table), "the message names the damaged file");
        output.Should().Contain("kvdb: member 1 cannot start");
        output.Should().Contain("--join").And.Contain("backup", "the message says how to recover");
    }
}
