// Range comparisons against a real member: a transaction guarded by "no key of the prefix written
// since N, as many keys as at N" is refused (else runs, nothing of then is written) once a key is
// created in the prefix after N; and while a member cannot apply RangeTxn (KVDB_TEST_HIDE_COMMANDS,
// test-only, plays an earlier release) such a transaction is 409 naming the feature and reaches
// no log, while plain transactions go on; restarted with it, range transactions are accepted.
using System.Net;
using System.Text;
using System.Text.Json;

namespace KvDb.Tests.Transactions;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class RangeTxnClusterTests
{
    private static async Task<(HttpStatusCode Status, JsonElement Body)> TxnAsync(KvdbCluster cluster, string body)
    {
        using var response = await cluster.Client.PostAsync(new Uri(cluster.Url(1), "v1/txn"), new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text.Length == 0 ? "null" : text).RootElement.Clone());
    }

    private static string Guarded(long revision, int count, string put)
        => $$$"""
           {"if": [{"prefix": "cfg/", "target": "revision", "op": "<", "value": {{{revision + 1}}}},
                   {"prefix": "cfg/", "target": "count", "op": "==", "value": {{{count}}}}],
            "then": [{"put": {"key": "{{{put}}}", "value": "restored"}}],
            "else": [{"range": {"prefix": "cfg/"}}]}
           """;

    private static async Task<long> PutAsync(KvdbCluster cluster, string key, string value)
    {
        using var response = await cluster.PutAsync(1, key, value);
        response.StatusCode.Should().Be(HttpStatusCode.NoContent, await response.Content.ReadAsStringAsync());
        return long.Parse(response.Headers.GetValues("X-Kvdb-Revision").Single(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task A_prefix_guard_refuses_a_key_created_meanwhile_and_waits_for_every_member_to_know_it()
    {
        await using var cluster = await KvdbCluster.StartAsync(1, "--request-timeout", "2s");
        await cluster.WaitForLeaderAsync();
        await cluster.PutWithRetryAsync(1, "cfg/a", "1");
        var read = await PutAsync(cluster, "cfg/b", "2");

        // Someone creates a key in the prefix after the guard's revision: the guard must see it.
        await PutAsync(cluster, "cfg/new", "someone else's");
        var (status, refused) = await TxnAsync(cluster, Guarded(read, 2, "cfg/a"));
        status.Should().Be(HttpStatusCode.OK, refused.ToString());
        refused.GetProperty("succeeded").GetBoolean().Should().BeFalse();
        refused.GetProperty("results")[0].GetProperty("range").GetProperty("items").EnumerateArray().Select(static i => i.GetProperty("key").GetString())
            .Should().Equal("cfg/a", "cfg/b", "cfg/new");
        (await cluster.GetAsync(1, "cfg/a")).Should().Be("1", "the refused branch wrote nothing");

        var now = await PutAsync(cluster, "elsewhere", "outside the prefix");
        var (held, accepted) = await TxnAsync(cluster, Guarded(now, 3, "cfg/a"));
        held.Should().Be(HttpStatusCode.OK, accepted.ToString());
        accepted.GetProperty("succeeded").GetBoolean().Should().BeTrue("nothing of cfg/ changed since, whatever happened outside it");

        // A member that cannot apply RangeTxn: range guards are 409 naming it, plain transactions go on.
        (await cluster.Member(1).StopAsync(TimeSpan.FromSeconds(30))).Should().Be(0);
        cluster.Restart(1, new Dictionary<string, string> { [ClusterVersionGate.HideCommandsVariable] = "RangeTxn" });
        await cluster.WaitForClusterVersionAsync(1, static u => u.TryGetValue("RangeTxn", out var lacking) && lacking.SequenceEqual([1]), "RangeTxn unavailable because of member 1");
        await cluster.WaitForLeaderAsync();
        var before = await PutAsync(cluster, "cfg/probe", "before");
        var (conflict, problem) = await TxnAsync(cluster, Guarded(before, 4, "cfg/held-back"));
        conflict.Should().Be(HttpStatusCode.Conflict, problem.ToString());
        problem.GetProperty("feature").GetString().Should().Be("RangeTxn");
        problem.GetProperty("members").EnumerateArray().Select(static m => m.GetInt32()).Should().Equal(1);
        (await cluster.GetAsync(1, "cfg/held-back")).Should().BeNull("a refused transaction reaches no log");
        var (plain, answer) = await TxnAsync(cluster, """{"if": [{"key": "cfg/a", "target": "exists", "op": "==", "value": true}], "then": [{"put": {"key": "cfg/plain", "value": "ok"}}]}""");
        plain.Should().Be(HttpStatusCode.OK, answer.ToString());
        answer.GetProperty("succeeded").GetBoolean().Should().BeTrue();

        (await cluster.Member(1).StopAsync(TimeSpan.FromSeconds(30))).Should().Be(0);
        cluster.Restart(1);
        await cluster.WaitForClusterVersionAsync(1, static u => !u.ContainsKey("RangeTxn"), "RangeTxn available again");
        await cluster.WaitForLeaderAsync();
        var last = await PutAsync(cluster, "cfg/probe", "after");
        var (again, applied) = await TxnAsync(cluster, Guarded(last, 5, "cfg/held-back"));
        again.Should().Be(HttpStatusCode.OK, applied.ToString());
        applied.GetProperty("succeeded").GetBoolean().Should().BeTrue();
    }
}
