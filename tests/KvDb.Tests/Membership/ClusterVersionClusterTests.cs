// The cluster version against real members: a member restarted with KVDB_TEST_HIDE_COMMANDS
// (test-only) advertises that it cannot apply S2 appends, and from then on every member refuses
// them with 409 naming the feature and that member, proposing nothing, while other writes go on;
// restarted with every command kind, it advertises them again and appends are accepted.
using System.Net;
using System.Text;
using System.Text.Json;

namespace KvDb.Tests.Membership;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class ClusterVersionClusterTests
{
    private const string Basin = "cluster-version-basin";

    private static async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> SendAsync(KvdbCluster cluster, int member, string method, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(cluster.Url(member), path.TrimStart('/')));
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        request.Headers.Add("s2-basin", Basin);
        var response = await cluster.Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    private static async Task<long> TailAsync(KvdbCluster cluster, int member)
    {
        var (status, body, _) = await SendAsync(cluster, member, "GET", "/v1/streams/s/records/tail");
        status.Should().Be(HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("tail").GetProperty("seq_num").GetInt64();
    }

    private static async Task<JsonElement> StatusAsync(KvdbCluster cluster, int member)
        => JsonDocument.Parse(await cluster.Client.GetStringAsync(new Uri(cluster.Url(member), "v1/status"))).RootElement;

    [Fact]
    public async Task A_member_that_cannot_apply_a_command_kind_holds_it_back_until_it_restarts_with_it()
    {
        await using var cluster = await KvdbCluster.StartAsync(3, "--request-timeout", "2s");
        var status = await StatusAsync(cluster, 2);
        status.GetProperty("clusterVersion").GetString().Should().Be(CommandLine.Version);
        status.GetProperty("members").EnumerateArray().Select(static m => m.GetProperty("version").GetString()).Should().Equal(CommandLine.Version, CommandLine.Version, CommandLine.Version);
        using (var members = await cluster.Client.GetAsync(new Uri(cluster.Url(1), "v1/members")))
            members.Headers.GetValues("X-Kvdb-Cluster-Version").Should().Equal(CommandLine.Version);
        (await SendAsync(cluster, 1, "POST", "/v1/basins", $$"""{"basin": "{{Basin}}"}""")).Status.Should().Be(HttpStatusCode.Created);
        (await SendAsync(cluster, 1, "POST", "/v1/streams", """{"stream": "s"}""")).Status.Should().Be(HttpStatusCode.Created);

        (await cluster.Member(3).StopAsync(TimeSpan.FromSeconds(30))).Should().Be(0);
        cluster.Restart(3, new Dictionary<string, string> { [ClusterVersionGate.HideCommandsVariable] = "StreamAppend" });
        foreach (var member in new[] { 1, 2, 3 })
        {
            await cluster.WaitForClusterVersionAsync(member, static u => u.TryGetValue("StreamAppend", out var lacking) && lacking.SequenceEqual([3]), "StreamAppend unavailable because of member 3");
            var (code, problem, _) = await SendAsync(cluster, member, "POST", "/v1/streams/s/records", """{"records": [{"body": "held back"}]}""");
            code.Should().Be(HttpStatusCode.Conflict, problem);
            var refusal = JsonDocument.Parse(problem).RootElement;
            refusal.GetProperty("feature").GetString().Should().Be("StreamAppend");
            refusal.GetProperty("members").EnumerateArray().Select(static m => m.GetInt32()).Should().Equal(3);
            refusal.GetProperty("detail").GetString().Should().Contain("member(s) 3");
        }

        (await TailAsync(cluster, 1)).Should().Be(0, "nothing of a refused append reached the log");
        await cluster.PutWithRetryAsync(3, "other-writes", "go on");

        (await cluster.Member(3).StopAsync(TimeSpan.FromSeconds(30))).Should().Be(0);
        cluster.Restart(3);
        await cluster.WaitForClusterVersionAsync(1, static u => u.Count == 0, "no unavailable commands once member 3 advertises StreamAppend again");
        var (accepted, answer, _) = await SendAsync(cluster, 1, "POST", "/v1/streams/s/records", """{"records": [{"body": "accepted"}]}""");
        accepted.Should().Be(HttpStatusCode.OK, answer);
        await Eventually.WaitUntilAsync(async () => await TailAsync(cluster, 3) == 1, "member 3 to apply the append", KvdbCluster.Patience, cluster.Describe);
    }
}
