// The client commands that read the past, run in-process against a real member: get and range
// at a revision, a key's history, and restore-prefix (its dry run, a round trip that brings a
// prefix back to a revision, and its refusal when a key it touches is written meanwhile, or when
// a key it does not touch is created in the prefix meanwhile).
using System.Globalization;
using System.Text.Json;
using KvDb.Cli;

namespace KvDb.Client.Tests.Cli;

[Collection(ClientClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class CliHistoryTests(OneMember member) : IClassFixture<OneMember>
{
    private string Endpoint => member.Cluster.Url(1).ToString();

    private async Task<long> PutAsync(string key, string value)
    {
        var put = await RunAsync("put", key, value);
        put.Code.Should().Be(0, put.Error);
        return long.Parse(put.Out.Trim(), CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Get_and_range_read_at_a_revision_and_history_lists_a_keys_changes()
    {
        var one = await PutAsync("past/a", "one");
        await PutAsync("past/b", "b");
        var two = await PutAsync("past/a", "two");
        (await RunAsync("del", "past/b")).Code.Should().Be(0);

        (await RunAsync("get", "past/a", "--rev", one.ToString(CultureInfo.InvariantCulture))).Should().Be((0, "one\n", ""));
        var gone = await RunAsync("get", "past/b", "--rev", (one - 1).ToString(CultureInfo.InvariantCulture));
        gone.Code.Should().Be(ExitCodes.NotFoundOrFailed);
        gone.Error.Should().Contain("did not exist at revision");
        (await RunAsync("range", "past/", "--rev", two.ToString(CultureInfo.InvariantCulture))).Out.Should().Be("past/a\ntwo\npast/b\nb\n");
        (await RunAsync("range", "past/")).Out.Should().Be("past/a\ntwo\n");
        (await RunAsync("get", "past/a", "--rev", "soon")).Code.Should().Be(ExitCodes.Usage);
        (await RunAsync("get", "past/a", "--rev", "999999999", "--consistency", "local")).Code.Should().Be(ExitCodes.Usage, "a revision the member has not reached is kvdb's 400");

        var history = await RunAsync("history", "past/a");
        history.Code.Should().Be(0, history.Error);
        var lines = history.Out.TrimEnd('\n').Split('\n');
        lines.Should().HaveCount(2);
        lines[0].Should().StartWith(two.ToString(CultureInfo.InvariantCulture) + " ").And.EndWith(" put two");
        lines[1].Should().StartWith(one.ToString(CultureInfo.InvariantCulture) + " ").And.EndWith(" put one");
        var json = await RunAsync("history", "past/b", "-o", "json", "--limit", "1");
        using (var document = JsonDocument.Parse(json.Out))
        {
            var items = document.RootElement.GetProperty("items");
            items.GetArrayLength().Should().Be(1);
            items[0].GetProperty("operation").GetString().Should().Be("delete");
            document.RootElement.GetProperty("before").GetInt64().Should().Be(items[0].GetProperty("revision").GetInt64(), "the older put is on the next page");
        }
    }

    [Fact]
    public async Task Restore_prefix_plans_then_writes_back_the_prefix_as_it_was()
    {
        await PutAsync("restore/keep", "same");
        await PutAsync("restore/changed", "old");
        var gone = await PutAsync("restore/deleted", "was here");
        var at = gone;
        await PutAsync("restore/changed", "new");
        (await RunAsync("del", "restore/deleted")).Code.Should().Be(0);
        await PutAsync("restore/added", "later");

        var plan = await RunAsync("restore-prefix", "restore/", "--rev", at.ToString(CultureInfo.InvariantCulture), "--dry-run");
        plan.Should().Be((0, "delete restore/added\nput restore/changed\nput restore/deleted\nwould restore 3 keys\n", ""));
        (await RunAsync("get", "restore/added")).Code.Should().Be(0, "a dry run writes nothing");

        var restored = await RunAsync("restore-prefix", "restore/", "--rev", at.ToString(CultureInfo.InvariantCulture), "-o", "json");
        restored.Code.Should().Be(0, restored.Error);
        using (var document = JsonDocument.Parse(restored.Out))
        {
            document.RootElement.GetProperty("changes").GetArrayLength().Should().Be(3);
            document.RootElement.GetProperty("appliedRevision").GetInt64().Should().BeGreaterThan(at);
        }

        (await RunAsync("range", "restore/")).Out.Should().Be("restore/changed\nold\nrestore/deleted\nwas here\nrestore/keep\nsame\n");
        (await RunAsync("restore-prefix", "restore/", "--rev", at.ToString(CultureInfo.InvariantCulture))).Should().Be((0, "nothing to restore\n", ""), "the prefix is as it was");
        (await RunAsync("restore-prefix", "restore/")).Code.Should().Be(ExitCodes.Usage, "--rev is required");
    }

    [Fact]
    public async Task Restore_prefix_is_refused_and_writes_nothing_when_a_key_it_touches_is_written_meanwhile()
    {
        var at = await PutAsync("race/hot", "then");

        // A writer keeps rewriting race/hot; a restore that planned before one of its writes must be refused whole.
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            using var client = new KvClient(new KvClientOptions { Endpoints = [member.Cluster.Url(1)] });
            for (var n = 0; !stop.IsCancellationRequested; n++)
                await client.PutAsync("race/hot", "now " + n.ToString(CultureInfo.InvariantCulture));
        });

        try
        {
            var attempts = 0;
            (int Code, string Out, string Error) last = default;
            await Eventually.WaitUntilAsync(async () =>
            {
                attempts++;
                await PutAsync("race/extra", "created after the revision");
                last = await RunAsync("restore-prefix", "race/", "--rev", at.ToString(CultureInfo.InvariantCulture));
                if (last.Code == 0)
                    return false;
                last.Code.Should().Be(ExitCodes.NotFoundOrFailed, last.Error);
                last.Error.Should().Contain("refused");
                return true;
            }, "a restore to be refused by a concurrent write", TimeSpan.FromSeconds(60), () => $"{attempts} attempts, last: {last}");

            (await RunAsync("get", "race/extra")).Code.Should().Be(0, "the refused restore deleted nothing");
        }
        finally
        {
            await stop.CancelAsync();
            await writer.ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    [Fact]
    public async Task Restore_prefix_is_refused_and_writes_nothing_when_a_key_is_created_in_the_prefix_meanwhile()
    {
        var at = await PutAsync("guard/base", "then");

        // A writer keeps creating keys of the prefix that no restore plan touches: one created
        // between a restore's read and its commit must refuse the restore whole.
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            using var client = new KvClient(new KvClientOptions { Endpoints = [member.Cluster.Url(1)] });
            for (var n = 0; !stop.IsCancellationRequested; n++)
                await client.PutAsync("guard/new-" + n.ToString(CultureInfo.InvariantCulture), "created meanwhile");
        });

        try
        {
            var attempts = 0;
            (int Code, string Out, string Error) last = default;
            await Eventually.WaitUntilAsync(async () =>
            {
                attempts++;
                await PutAsync("guard/extra", "created after the revision");
                last = await RunAsync("restore-prefix", "guard/", "--rev", at.ToString(CultureInfo.InvariantCulture));
                if (last.Code == 0)
                    return false;
                last.Code.Should().Be(ExitCodes.NotFoundOrFailed, last.Error);
                last.Error.Should().Contain("refused: someone wrote 'guard/new-");
                return true;
            }, "a restore to be refused by a key created meanwhile", TimeSpan.FromSeconds(60), () => $"{attempts} attempts, last: {last}");

            (await RunAsync("get", "guard/extra")).Code.Should().Be(0, "the refused restore deleted nothing");
            (await RunAsync("get", "guard/base")).Out.Should().Be("then\n");
        }
        finally
        {
            await stop.CancelAsync();
            await writer.ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    private Task<(int Code, string Out, string Error)> RunAsync(params string[] args)
    {
        var stdout = new LineWriter();
        var stderr = new LineWriter();
        var console = new CliConsole(new StringReader(""), stdout, stderr, name => name == "KVDB_ENDPOINTS" ? Endpoint : null);
        return RunAndReadAsync(args, console, stdout, stderr);
    }

    private static async Task<(int Code, string Out, string Error)> RunAndReadAsync(string[] args, CliConsole console, LineWriter stdout, LineWriter stderr)
    {
        var code = await CliProgram.RunAsync(args, console, CancellationToken.None);
        return (code, stdout.Text, stderr.Text);
    }
}
