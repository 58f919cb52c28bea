// kvdb's client commands run in-process (CliProgram.RunAsync with test writers) against a real
// member: text and json output, the exit codes 0/1/2/3, the KVDB_* environment, a watch that
// prints events as they come, and a command run while holding a lock.
using System.Text.Json;
using KvDb.Cli;

namespace KvDb.Client.Tests.Cli;

public sealed class OneMember : IAsyncLifetime
{
    public KvdbCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await KvdbCluster.StartAsync(1, "--in-memory");

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[Collection(ClientClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class CliClusterTests(OneMember member) : IClassFixture<OneMember>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private string Endpoint => member.Cluster.Url(1).ToString();

    [Fact]
    public async Task Put_and_get_print_text_and_json_and_a_missing_key_or_failed_condition_exits_1()
    {
        var put = await RunAsync("put", "cli/greeting", "hello");
        put.Code.Should().Be(0, put.Error);
        var revision = long.Parse(put.Out.Trim(), System.Globalization.CultureInfo.InvariantCulture);

        (await RunAsync("get", "cli/greeting")).Should().Be((0, "hello\n", ""));
        var json = await RunAsync("get", "cli/greeting", "-o", "json");
        using (var document = JsonDocument.Parse(json.Out))
        {
            document.RootElement.GetProperty("value").GetString().Should().Be("hello");
            document.RootElement.GetProperty("revision").GetInt64().Should().Be(revision);
        }

        var missing = await RunAsync("get", "cli/none");
        missing.Code.Should().Be(1);
        missing.Out.Should().BeEmpty();
        missing.Error.Should().Contain("not found");

        var taken = await RunAsync("put", "cli/greeting", "again", "--if-absent");
        taken.Code.Should().Be(1);
        taken.Error.Should().Contain("412").And.Contain($"revision {revision}");
        (await RunAsync("put", "cli/greeting", "swapped", $"--if-revision={revision}")).Code.Should().Be(0);

        (await RunAsync(["put", "cli/from-stdin"], stdin: "piped value")).Code.Should().Be(0);
        (await RunAsync("get", "cli/from-stdin")).Out.Should().Be("piped value\n");

        (await RunAsync("del", "cli/from-stdin")).Code.Should().Be(0);
        (await RunAsync("del", "cli/from-stdin")).Code.Should().Be(1, "there is nothing left to delete");
    }

    [Fact]
    public async Task Range_and_del_prefix_list_and_remove_a_prefix()
    {
        foreach (var i in Enumerable.Range(1, 3))
            (await RunAsync("put", $"list/{i}", $"v{i}")).Code.Should().Be(0);

        (await RunAsync("range", "list/")).Out.Should().Be("list/1\nv1\nlist/2\nv2\nlist/3\nv3\n");
        (await RunAsync("range", "list/", "--keys-only", "--limit", "2")).Out.Should().Be("list/1\nlist/2\n");
        var json = await RunAsync("range", "list/", "-o", "json");
        using (var document = JsonDocument.Parse(json.Out))
            document.RootElement.GetProperty("count").GetInt32().Should().Be(3);

        var deleted = await RunAsync("del", "--prefix", "list/");
        deleted.Should().Be((0, "3\n", ""));
        (await RunAsync("range", "list/")).Should().Be((0, "", ""));
        (await RunAsync("del", "--prefix", "list/")).Code.Should().Be(1);
    }

    [Fact]
    public async Task List_keyspace_append_with_nonces_read_both_ways_and_follow()
    {
        (await RunAsync("list", "keyspace", "create", "cli-events")).Code.Should().Be(0);
        (await RunAsync("list", "keyspace", "create", "cli-events")).Code.Should().Be(1, "it exists");
        (await RunAsync("list", "append", "nope", "k", "v")).Code.Should().Be(1, "no such keyspace");

        (await RunAsync("list", "append", "cli-events", "orders", "order 1", "--nonce", "1")).Should().Be((0, "0\n", ""));
        (await RunAsync("list", "append", "cli-events", "orders", "order 2", "--nonce", "2")).Should().Be((0, "1\n", ""));
        (await RunAsync("list", "append", "cli-events", "orders", "order 2", "--nonce", "2")).Should().Be((0, "skipped\n", ""), "a replayed nonce is a duplicate");
        (await RunAsync("list", "append", "cli-events", "orders", "x", "--nonce", "-1")).Code.Should().Be(ExitCodes.Usage);
        var appended = await RunAsync("list", "append", "cli-events", "orders", "order 3", "-o", "json");
        using (var document = JsonDocument.Parse(appended.Out))
            document.RootElement.GetProperty("firstOffset").GetInt64().Should().Be(2);

        (await RunAsync("list", "read", "cli-events", "orders")).Out.Should().Be("0 order 1\n1 order 2\n2 order 3\n");
        (await RunAsync("list", "read", "cli-events", "orders", "--backward", "--limit", "2")).Out.Should().Be("2 order 3\n1 order 2\n");
        var keyspace = await RunAsync("list", "keyspace", "get", "cli-events", "-o", "json");
        using (var document = JsonDocument.Parse(keyspace.Out))
            document.RootElement.GetProperty("items").GetInt64().Should().Be(3);

        using var stop = new CancellationTokenSource();
        var output = new LineWriter();
        var following = RunAsync(["list", "read", "cli-events", "orders", "--follow", "--from", "2"], output: output, token: stop.Token);
        (await output.NextLineAsync(Deadline)).Should().Be("2 order 3");
        (await RunAsync("list", "append", "cli-events", "orders", "order 4")).Code.Should().Be(0);
        (await output.NextLineAsync(Deadline)).Should().Be("3 order 4");
        stop.Cancel();
        (await following.WaitAsync(Deadline)).Code.Should().Be(0, "Ctrl+C ends a follow normally");

        (await RunAsync("list", "append", "cli-events", "returns", "r1")).Code.Should().Be(0);
        var lists = await RunAsync("list", "ls", "cli-events");
        lists.Code.Should().Be(0, lists.Error);
        lists.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(static line => string.Join(' ', line.Split(' ').Take(5)))
            .Should().Equal("orders offsets 0..3 items 4", "returns offsets 0..0 items 1");
        var info = await RunAsync("list", "info", "cli-events", "orders", "-o", "json");
        using (var document = JsonDocument.Parse(info.Out))
        {
            document.RootElement.GetProperty("count").GetInt64().Should().Be(4);
            document.RootElement.GetProperty("lastOffset").GetInt64().Should().Be(3);
        }

        (await RunAsync("list", "info", "cli-events", "no-such-list")).Code.Should().Be(1);
        (await RunAsync("list", "ls", "no-such-keyspace")).Code.Should().Be(1);

        (await RunAsync("list", "keyspace", "delete", "cli-events")).Code.Should().Be(0);
        (await RunAsync("list", "keyspace", "get", "cli-events")).Code.Should().Be(1);
    }

    [Fact]
    public async Task S2_basins_streams_append_with_conditions_read_follow_and_tail()
    {
        (await RunAsync("s2", "basin", "create", "cli-basin-1")).Should().Be((0, "", ""));
        (await RunAsync("s2", "basin", "create", "cli-basin-1")).Code.Should().Be(1, "it exists");
        (await RunAsync("s2", "basin", "create", "Bad")).Code.Should().Be(ExitCodes.Usage, "kvdb answers 400 for a bad name");
        (await RunAsync("s2", "basin", "ls", "cli-")).Should().Be((0, "cli-basin-1\n", ""));
        using (var document = JsonDocument.Parse((await RunAsync("s2", "basin", "ls", "-o", "json")).Out))
            document.RootElement.GetProperty("basins").EnumerateArray().Select(static b => b.GetProperty("name").GetString()).Should().Contain("cli-basin-1");

        (await RunAsync("s2", "stream", "create", "orders")).Code.Should().Be(ExitCodes.Usage, "--basin is missing");
        (await RunAsync("s2", "stream", "create", "--basin", "cli-basin-1", "orders")).Code.Should().Be(0);
        (await RunAsync("s2", "stream", "create", "--basin", "cli-basin-1", "orders")).Code.Should().Be(1, "it exists");
        (await RunAsync("s2", "stream", "create", "--basin", "cli-basin-1", "spare")).Code.Should().Be(0);
        (await RunAsync("s2", "stream", "ls", "--basin", "cli-basin-1")).Out.Should().Be("orders\nspare\n");

        (await RunAsync("s2", "append", "--basin", "cli-basin-1", "orders", "order 1", "order 2")).Should().Be((0, "0 2\n", ""));
        (await RunAsync(["s2", "append", "--basin", "cli-basin-1", "orders", "--match-seq-num", "2"], stdin: "order 3\norder 4\n")).Should().Be((0, "2 4\n", ""));
        var stale = await RunAsync("s2", "append", "--basin", "cli-basin-1", "orders", "late", "--match-seq-num", "2");
        stale.Code.Should().Be(1);
        stale.Error.Should().Contain("412").And.Contain("next sequence number 4");
        var json = await RunAsync("s2", "append", "--basin", "cli-basin-1", "orders", "order 5", "-o", "json");
        using (var document = JsonDocument.Parse(json.Out))
            document.RootElement.GetProperty("end").GetProperty("seq_num").GetInt64().Should().Be(5);
        var fenced = await RunAsync("s2", "append", "--basin", "cli-basin-1", "orders", "x", "--fencing-token", "someone");
        fenced.Code.Should().Be(1, "the stream's fencing token is empty, not 'someone'");
        fenced.Error.Should().Contain("412").And.Contain("fencing token");
        (await RunAsync("s2", "append", "--basin", "cli-basin-1", "orders", "x")).Should().Be((0, "5 6\n", ""));
        (await RunAsync("s2", "append", "--basin", "cli-basin-1", "nope", "x")).Code.Should().Be(1, "no such stream");

        (await RunAsync("s2", "read", "--basin", "cli-basin-1", "orders")).Out.Should().Be("0 order 1\n1 order 2\n2 order 3\n3 order 4\n4 order 5\n5 x\n");
        (await RunAsync("s2", "read", "--basin", "cli-basin-1", "orders", "--from", "2", "--count", "2")).Should().Be((0, "2 order 3\n3 order 4\n", ""));
        (await RunAsync("s2", "read", "--basin", "cli-basin-1", "spare")).Should().Be((0, "", ""), "an empty stream reads as nothing");
        var past = await RunAsync("s2", "read", "--basin", "cli-basin-1", "orders", "--from", "9");
        past.Code.Should().Be(1);
        past.Error.Should().Contain("past the stream's tail 6");
        using (var document = JsonDocument.Parse((await RunAsync("s2", "read", "--basin", "cli-basin-1", "orders", "--count", "1", "-o", "json")).Out))
        {
            document.RootElement.GetProperty("seq_num").GetInt64().Should().Be(0);
            document.RootElement.GetProperty("body").GetString().Should().Be("order 1");
        }

        var tail = await RunAsync("s2", "tail", "--basin", "cli-basin-1", "orders");
        tail.Code.Should().Be(0);
        tail.Out.Should().StartWith("6 ");
        (await RunAsync("s2", "tail", "--basin", "cli-basin-1", "nope")).Code.Should().Be(1);

        using var stop = new CancellationTokenSource();
        var output = new LineWriter();
        var following = RunAsync(["s2", "read", "--basin", "cli-basin-1", "orders", "--follow", "--from", "5"], output: output, token: stop.Token);
        (await output.NextLineAsync(Deadline)).Should().Be("5 x");
        (await RunAsync("s2", "append", "--basin", "cli-basin-1", "orders", "order 7")).Code.Should().Be(0);
        (await output.NextLineAsync(Deadline)).Should().Be("6 order 7");
        stop.Cancel();
        (await following.WaitAsync(Deadline)).Code.Should().Be(0, "Ctrl+C ends a follow normally");

        (await RunAsync("s2", "stream", "rm", "--basin", "cli-basin-1", "orders")).Code.Should().Be(0);
        (await RunAsync("s2", "stream", "rm", "--basin", "cli-basin-1", "orders")).Code.Should().Be(1);
        (await RunAsync("s2", "basin", "rm", "cli-basin-1")).Code.Should().Be(0);
        (await RunAsync("s2", "basin", "rm", "cli-basin-1")).Code.Should().Be(1);
        (await RunAsync("s2", "basin", "ls", "cli-")).Should().Be((0, "", ""));
    }

    [Fact]
    public async Task Bad_command_lines_exit_2_help_exits_0_and_an_unreachable_cluster_exits_3()
    {
        (await RunAsync("get")).Code.Should().Be(2, "KEY is missing");
        var unknown = await RunAsync("get", "k", "--frobnicate");
        unknown.Code.Should().Be(2);
        unknown.Error.Should().Contain("--frobnicate");
        (await RunAsync("get", "k", "-o", "yaml")).Error.Should().Contain("--output 'yaml'");
        (await RunAsync("put", "k", "v", "--lease", "1", "--ttl", "5s")).Code.Should().Be(2);
        (await RunAsync("lease")).Code.Should().Be(2);
        (await RunAsync("txn"))!.Code.Should().Be(2, "an empty standard input is not a transaction");

        var help = await RunAsync("watch", "--help");
        help.Code.Should().Be(0);
        help.Out.Should().Contain("kvdb watch --prefix PREFIX").And.Contain("KVDB_ENDPOINTS").And.Contain("Exit codes").And.Contain("list append").And.NotContain("not available");

        var closed = FreePorts.Take(1)[0];
        var down = await RunAsync(["get", "k", "--timeout", "1s"], environment: new() { ["KVDB_ENDPOINTS"] = $"http://127.0.0.1:{closed}" });
        down.Code.Should().Be(3);
        down.Error.Should().Contain("No kvdb member could serve");

        // The flag wins over the environment.
        (await RunAsync(["get", "cli/none", "--endpoints", Endpoint], environment: new() { ["KVDB_ENDPOINTS"] = $"http://127.0.0.1:{closed}" })).Code.Should().Be(1);
    }

    [Fact]
    public async Task Txn_reads_json_from_stdin_and_exits_1_when_its_comparisons_fail()
    {
        (await RunAsync("put", "bank/a", "100")).Code.Should().Be(0);
        (await RunAsync("put", "bank/b", "0")).Code.Should().Be(0);
        const string transfer = """
            {"if": [{"key": "bank/a", "target": "value", "op": "==", "value": "100"}],
             "then": [{"put": {"key": "bank/a", "value": "70"}}, {"put": {"key": "bank/b", "value": "30"}}, {"get": {"key": "bank/b"}}],
             "else": [{"get": {"key": "bank/a"}}, {"get": {"key": "bank/none"}}]}
            """;
        var moved = await RunAsync(["txn"], stdin: transfer);
        moved.Code.Should().Be(0, moved.Error);
        var lines = moved.Out.Split('\n');
        lines[0].Should().StartWith("SUCCEEDED ");
        lines[1..4].Should().Equal(lines[1], lines[1], "get bank/b 30");
        lines[1].Should().Be("put " + lines[0]["SUCCEEDED ".Length..]);

        var again = await RunAsync(["txn", "-o", "json"], stdin: transfer);
        again.Code.Should().Be(1, "bank/a is 70 now");
        using var document = JsonDocument.Parse(again.Out);
        document.RootElement.GetProperty("succeeded").GetBoolean().Should().BeFalse();
        document.RootElement.GetProperty("results")[0].GetProperty("get").GetProperty("value").GetString().Should().Be("70");
        document.RootElement.GetProperty("results")[1].GetProperty("get").ValueKind.Should().Be(JsonValueKind.Null);

        var bad = await RunAsync(["txn"], stdin: """{"then": [{"put": {"key": "x"}}]}""");
        bad.Code.Should().Be(2);
        bad.Error.Should().Contain("then[0].put");

        // Range comparisons: every key of bank/ holds 30 or 70, none was written after the transfer, and there are two.
        var after = long.Parse(lines[0]["SUCCEEDED ".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture) + 1;
        var guarded = await RunAsync(["txn"], stdin: $$$"""
            {"if": [{"prefix": "bank/", "target": "revision", "op": "<", "value": {{{after}}}},
                    {"start": "bank/", "end": "bank0", "target": "count", "op": "==", "value": 2}],
             "then": [{"get": {"key": "bank/a"}}]}
            """);
        guarded.Code.Should().Be(0, guarded.Error);
        guarded.Out.Should().StartWith("SUCCEEDED ");
    }

    [Fact]
    public async Task Watch_prints_events_as_they_come_until_cancelled()
    {
        var start = await RunAsync("put", "app/start", "0");
        var after = start.Out.Trim();
        var output = new LineWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var watching = RunAsync(["watch", "--prefix", "app/", "--after", after], output: output, token: stop.Token);

        var a = (await RunAsync("put", "app/a", "1")).Out.Trim();
        (await RunAsync("put", "elsewhere", "x")).Code.Should().Be(0);
        var b = (await RunAsync("put", "app/b", "two words")).Out.Trim();
        var gone = (await RunAsync("del", "app/a")).Out.Trim();

        (await output.NextLineAsync(Deadline)).Should().Be($"{a} put app/a 1");
        (await output.NextLineAsync(Deadline)).Should().Be($"{b} put app/b two words");
        (await output.NextLineAsync(Deadline)).Should().Be($"{gone} delete app/a");
        await stop.CancelAsync();
        (await watching.WaitAsync(Deadline)).Code.Should().Be(0, "stopping a watch is its normal end");
    }

    [Fact]
    public async Task Lock_runs_a_command_while_holding_the_lock_and_exits_with_its_code()
    {
        var output = new LineWriter();
        var running = RunAsync(["lock", "deploy", "--", "sh", "-c", "echo held $KVDB_LOCK_KEY $KVDB_LOCK_TOKEN; sleep 1; exit 7"], output: output);
        var line = await output.NextLineAsync(Deadline);
        line.Should().StartWith("held _locks/deploy/");
        var token = long.Parse(line.Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture);
        (await HolderAsync("deploy")).Should().Be(token, "the lock is held while the command runs");

        (await running.WaitAsync(Deadline)).Code.Should().Be(7, "kvdb lock exits with the command's code");
        (await HolderAsync("deploy")).Should().BeNull("the lock is released when the command exits");

        var second = await RunAsync("lock", "deploy", "--", "sh", "-c", "echo $KVDB_LOCK_TOKEN");
        second.Code.Should().Be(0);
        long.Parse(second.Out.Trim(), System.Globalization.CultureInfo.InvariantCulture).Should().BeGreaterThan(token, "fencing tokens increase from holder to holder");
        (await RunAsync("lock", "deploy", "--", "/nonexistent/command")).Code.Should().Be(2);
    }

    [Fact]
    public async Task Leases_elections_members_and_status_answer_in_text_and_json()
    {
        var granted = await RunAsync("lease", "grant", "30s");
        granted.Code.Should().Be(0, granted.Error);
        var id = granted.Out.Trim();
        (await RunAsync("put", "leased/k", "v", "--lease", id)).Code.Should().Be(0);
        (await RunAsync("lease", "keepalive", id, "--once")).Out.Should().StartWith(id + " ");
        var described = await RunAsync("lease", "get", id, "-o", "json");
        using (var document = JsonDocument.Parse(described.Out))
            document.RootElement.GetProperty("keys")[0].GetString().Should().Be("leased/k");
        (await RunAsync("lease", "list")).Out.Should().Contain(id + " 30s");
        (await RunAsync("lease", "revoke", id)).Code.Should().Be(0);
        (await RunAsync("get", "leased/k")).Code.Should().Be(1, "revoking the lease deleted its key");
        (await RunAsync("lease", "revoke", id)).Code.Should().Be(1);
        (await RunAsync("lease", "get", id)).Code.Should().Be(1);

        (await RunAsync("elect", "nobody")).Code.Should().Be(1, "no candidate leads");

        var members = await RunAsync("members");
        members.Out.Should().StartWith("1 leader " + Endpoint);
        var status = await RunAsync("status", "-o", "json");
        status.Code.Should().Be(0);
        using (var document = JsonDocument.Parse(status.Out))
            document.RootElement[0].GetProperty("ready").GetBoolean().Should().BeTrue();
    }

    private async Task<long?> HolderAsync(string name)
    {
        using var document = JsonDocument.Parse(await member.Cluster.Client.GetStringAsync(new Uri(member.Cluster.Url(1), "v1/locks/" + name)));
        var holder = document.RootElement.GetProperty("holder");
        return holder.ValueKind is JsonValueKind.Null ? null : holder.GetProperty("revision").GetInt64();
    }

    private Task<(int Code, string Out, string Error)> RunAsync(params string[] args) => RunAsync(args, stdin: "");

    private async Task<(int Code, string Out, string Error)> RunAsync(string[] args, string stdin = "", Dictionary<string, string>? environment = null, LineWriter? output = null, CancellationToken token = default)
    {
        environment ??= new() { ["KVDB_ENDPOINTS"] = Endpoint };
        var stdout = output ?? new LineWriter();
        var stderr = new LineWriter();
        var console = new CliConsole(new StringReader(stdin), stdout, stderr, name => environment.GetValueOrDefault(name));
        var code = await CliProgram.RunAsync(args, console, token);
        return (code, stdout.Text, stderr.Text);
    }
}
