// POST /v1/txn against real members: the issue's example from a follower, one revision for all
// writes (and one watch revision), else with gets, reads at the transaction's point, exactly-once
// retries, the log line with its outcome, and 400/413 problem details for bad transactions.
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace KvDb.Tests.Transactions;

public sealed class TxnFixture : IAsyncLifetime
{
    public KvdbCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await KvdbCluster.StartAsync(3, "--in-memory", "--max-txn-ops", "4", "--max-value-bytes", "1024");

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class TxnTests(TxnFixture fixture) : IClassFixture<TxnFixture>
{
    private KvdbCluster Cluster => fixture.Cluster;

    private async Task<int> FollowerAsync() => (await Cluster.WaitForLeaderAsync()) % 3 + 1;

    private async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> TxnAsync(int member, string body, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Cluster.Url(member), "v1/txn")) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (idempotencyKey is not null)
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        var response = await Cluster.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text.Length == 0 ? "null" : text).RootElement.Clone(), response);
    }

    private async Task<long> PutAsync(int member, string key, string value)
    {
        using var response = await Cluster.Client.PutAsync(new Uri(Cluster.Url(member), "v1/kv/" + key), new StringContent(value));
        response.StatusCode.Should().Be(HttpStatusCode.NoContent);
        return long.Parse(response.Headers.GetValues("X-Kvdb-Revision").Single(), CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task The_issues_example_moves_a_balance_from_a_follower_at_one_revision_that_a_watch_sees_together()
    {
        var member = await FollowerAsync();
        var a = await PutAsync(member, "acct1/a", "100");
        await PutAsync(member, "acct1/b", "0");
        using var watch = await Cluster.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(Cluster.Url(member), $"v1/watch?prefix=acct1/&after={a + 1}")), HttpCompletionOption.ResponseHeadersRead);
        using var events = new StreamReader(await watch.Content.ReadAsStreamAsync());

        var (status, body, _) = await TxnAsync(member, $$$"""
            {"if":   [{"key": "acct1/a", "target": "revision", "op": "==", "value": {{{a}}}},
                      {"key": "acct1/b", "target": "exists", "op": "==", "value": true}],
             "then": [{"put": {"key": "acct1/a", "value": "70"}}, {"put": {"key": "acct1/b", "value": "30"}}],
             "else": [{"get": {"key": "acct1/a"}}, {"get": {"key": "acct1/b"}}]}
            """);

        status.Should().Be(HttpStatusCode.OK, body.ToString());
        body.GetProperty("succeeded").GetBoolean().Should().BeTrue();
        var revision = body.GetProperty("revision").GetInt64();
        body.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("put").GetProperty("revision").GetInt64()).Should().Equal(revision, revision);
        (await Cluster.GetAsync(member, "acct1/a", "consistency=local")).Should().Be("70", "the answer waits until this member applied it");

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var changes = new List<(string Key, long Revision)>();
        while (changes.Count < 2)
        {
            var line = JsonDocument.Parse((await events.ReadLineAsync(timeout.Token))!).RootElement;
            if (line.GetProperty("type").GetString() == "put")
                changes.Add((line.GetProperty("key").GetString()!, line.GetProperty("revision").GetInt64()));
        }

        changes.Should().Equal(("acct1/a", revision), ("acct1/b", revision));
    }

    [Fact]
    public async Task A_failed_comparison_runs_else_whose_gets_read_the_transactions_point_in_the_log()
    {
        var member = await FollowerAsync();
        var written = await PutAsync(member, "else/a", "1");
        var (status, body, _) = await TxnAsync(member, """
            {"if": [{"key": "else/a", "target": "value", "op": "==", "value": "2"}],
             "then": [{"put": {"key": "else/a", "value": "3"}}],
             "else": [{"get": {"key": "else/a"}}, {"get": {"key": "else/missing"}}, {"range": {"prefix": "else/", "limit": 1}}]}
            """);

        status.Should().Be(HttpStatusCode.OK);
        body.GetProperty("succeeded").GetBoolean().Should().BeFalse();
        var results = body.GetProperty("results");
        var get = results[0].GetProperty("get");
        (get.GetProperty("value").GetString(), get.GetProperty("revision").GetInt64(), get.GetProperty("createRevision").GetInt64(), get.GetProperty("version").GetInt64())
            .Should().Be(("1", written, written, 1L));
        results[1].GetProperty("get").ValueKind.Should().Be(JsonValueKind.Null);
        results[2].GetProperty("range").GetProperty("items").GetArrayLength().Should().Be(1);
        results[2].GetProperty("range").GetProperty("more").GetBoolean().Should().BeFalse();
        (await Cluster.GetAsync(member, "else/a")).Should().Be("1");
    }

    [Fact]
    public async Task Puts_and_a_prefix_delete_in_one_transaction_and_the_log_shows_it_with_its_outcome()
    {
        var leader = await Cluster.WaitForLeaderAsync();
        await PutAsync(leader, "wipe/1", "x");
        await PutAsync(leader, "wipe/2", "y");
        var (status, body, _) = await TxnAsync(leader, """
            {"then": [{"delete": {"prefix": "wipe/"}}, {"put": {"key": "wiped", "value": "yes"}}, {"range": {"prefix": "wipe/"}}]}
            """);

        status.Should().Be(HttpStatusCode.OK, body.ToString());
        body.GetProperty("results")[0].GetProperty("delete").GetProperty("deleted").GetInt64().Should().Be(2);
        body.GetProperty("results")[2].GetProperty("range").GetProperty("items").GetArrayLength().Should().Be(0);
        (await Cluster.GetAsync(leader, "wipe/1")).Should().BeNull();

        var revision = body.GetProperty("revision").GetInt64();
        var log = await Cluster.Client.GetStringAsync(new Uri(Cluster.Url(leader), $"v1/log?from={revision}&limit=1"));
        var txn = JsonDocument.Parse(log.Split('\n')[0]).RootElement.GetProperty("Txn");
        txn.GetProperty("succeeded").GetBoolean().Should().BeTrue();
        txn.GetProperty("then")[0].GetProperty("delete").GetProperty("start").GetString().Should().Be("wipe/");
        txn.GetProperty("then")[1].GetProperty("put").GetProperty("value").GetProperty("Str").GetString().Should().Be("yes");
    }

    [Fact]
    public async Task A_retried_transaction_with_an_idempotency_key_applies_once_and_answers_its_first_outcome()
    {
        var member = await FollowerAsync();
        var body = """{"if": [{"key": "once/k", "target": "exists", "op": "==", "value": false}], "then": [{"put": {"key": "once/k", "value": "1"}}], "else": [{"get": {"key": "once/k"}}]}""";
        var first = await TxnAsync(member, body, "txn-once-1");
        var retry = await TxnAsync(member % 3 + 1, body, "txn-once-1");

        first.Body.GetProperty("succeeded").GetBoolean().Should().BeTrue();
        retry.Body.GetProperty("succeeded").GetBoolean().Should().BeTrue("the retry answers the first outcome, though the key now exists");
        retry.Body.GetProperty("revision").GetInt64().Should().Be(first.Body.GetProperty("revision").GetInt64());
        retry.Response.Headers.GetValues("Idempotent-Replayed").Single().Should().Be("true");

        var reused = await TxnAsync(member, """{"then": [{"put": {"key": "once/other", "value": "2"}}]}""", "txn-once-1");
        reused.Status.Should().Be(HttpStatusCode.UnprocessableEntity);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("""{"then": [{"put": {"key": "x", "value": "1"}}, {"delete": {"key": "x"}}]}""", "written twice")]
    [InlineData("""{"then": [{"delete": {"prefix": "p/"}}, {"put": {"key": "p/1", "value": "1"}}]}""", "deleted by a range")]
    [InlineData("""{"then": [{"get": {"key": "a"}}, {"get": {"key": "b"}}, {"get": {"key": "c"}}, {"get": {"key": "d"}}, {"get": {"key": "e"}}]}""", "--max-txn-ops")]
    [InlineData("""{"if": [{"key": "a", "target": "color", "op": "==", "value": 1}]}""", "not revision")]
    [InlineData("""{"if": [{"key": "a", "target": "revision", "op": "~", "value": 1}]}""", "not ==")]
    [InlineData("""{"if": [{"key": "a", "target": "revision", "op": "==", "value": "x"}]}""", "whole number")]
    [InlineData("""{"then": [{"move": {"key": "a"}}]}""", "Unknown operation")]
    [InlineData("""{"then": [{"put": {"key": "a"}}]}""", "needs \"value\"")]
    [InlineData("""{"then": [{"range": {"prefix": "a", "limit": 0}}]}""", "limit")]
    [InlineData("""{"when": []}""", "Unknown field")]
    [InlineData("""{"then": [{"put": {"key": "", "value": "1"}}]}""", "1 to")]
    [InlineData("""{"then": [{"put": {"key": "big", "valueBase64": "!!"}}]}""", "not base64")]
    public async Task Bad_transactions_are_400_problem_details_and_change_nothing(string body, string says)
    {
        var member = await FollowerAsync();
        var (status, problem, response) = await TxnAsync(member, body);
        status.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        problem.GetProperty("detail").GetString().Should().Contain(says);
        (await Cluster.GetAsync(member, "x")).Should().BeNull();
    }

    [Fact]
    public async Task A_value_over_the_limit_is_400_and_a_transaction_over_the_entry_limit_is_413()
    {
        var member = await FollowerAsync();
        var big = new string('v', 1025);
        (await TxnAsync(member, $$$"""{"then": [{"put": {"key": "big", "value": "{{{big}}}"}}]}""")).Status.Should().Be(HttpStatusCode.BadRequest);

        var huge = new string('h', 200 * 1024);
        var (status, problem, _) = await TxnAsync(member, $$$"""{"if": [{"key": "k", "target": "value", "op": "==", "value": "{{{huge}}}"}]}""");
        status.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        problem.GetProperty("title").GetString().Should().Be("Transaction too large");
    }
}
