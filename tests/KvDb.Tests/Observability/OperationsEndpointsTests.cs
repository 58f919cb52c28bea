// The operability endpoints against real members: /metrics series move with writes, follower
// lag and reachability follow a stopped follower, /readyz turns 503 without a quorum while
// /ping and /livez stay 200, and /v1/status holds what an operator relies on.
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace KvDb.Tests.Observability;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class OperationsEndpointsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Metrics_show_the_raft_indices_rising_with_writes_and_follower_lag_on_the_leader()
    {
        await using var cluster = await KvdbCluster.StartAsync();
        var leader = await WaitForLeaderAsync(cluster);
        var before = await ScrapeAsync(cluster, leader);
        var commitBefore = before.Value("kvdb_raft_commit_index")!.Value;
        var appliedBefore = before.Value("kvdb_raft_applied_index")!.Value;

        // Sequential writes: each is its own log entry.
        for (var i = 0; i < 10; i++)
            (await cluster.PutAsync(leader, $"metric-key-{i}", "v")).StatusCode.Should().Be(HttpStatusCode.NoContent);

        var after = await ScrapeAsync(cluster, leader);
        after.Value("kvdb_raft_commit_index").Should().BeGreaterThanOrEqualTo(commitBefore + 10);
        after.Value("kvdb_raft_applied_index").Should().BeGreaterThanOrEqualTo(appliedBefore + 10);
        after.Value("kvdb_raft_last_log_index").Should().BeGreaterThanOrEqualTo(after.Value("kvdb_raft_commit_index")!.Value);
        after.Value("kvdb_raft_term").Should().BeGreaterThanOrEqualTo(1);
        after.Value("kvdb_raft_role", "role=leader").Should().Be(1);
        after.Find("kvdb_raft_role").Sum(s => s.Value).Should().Be(1, "exactly one role is current");
        after.Value("kvdb_raft_leader_id").Should().Be(leader);
        after.Value("kvdb_raft_voting_members").Should().Be(3);
        after.Value("kvdb_raft_leader_changes_total").Should().BeGreaterThanOrEqualTo(1);
        after.Value("kvdb_member_id").Should().Be(leader);
        after.Value("kvdb_storage_memtable_bytes").Should().BeGreaterThan(0, "the writes sit in the storage engine's memtable");

        // HTTP requests are labelled by route pattern, never by the key in the path.
        after.Value("kvdb_http_request_duration_seconds_count", "route=/{**key}", "method=PUT", "code=204").Should().BeGreaterThanOrEqualTo(10);
        after.Samples.Where(s => s.Name.StartsWith("kvdb_http_", StringComparison.Ordinal))
            .SelectMany(s => s.Labels.Values).Should().NotContain(v => v.Contains("metric-key"));

        // DotNext's write-ahead log meters and kvdb's group-commit histogram are bridged.
        after.Value("dotnext_io_writeaheadlog_entries_commit_count").Should().BeGreaterThanOrEqualTo(10);
        after.Find("dotnext_io_writeaheadlog_entries_flush_duration_count").Should().NotBeEmpty();
        after.Value("kvdb_raft_proposal_batch_writes_count").Should().BeGreaterThanOrEqualTo(10);

        // Every follower is seen by the leader; its lag goes to 0 once it has caught up.
        var followers = new[] { 1, 2, 3 }.Where(id => id != leader).ToArray();
        var caughtUp = await WaitForMetricsAsync(cluster, leader, m => followers.All(f => m.Value("kvdb_raft_follower_lag_entries", $"member_id={f}") == 0));
        foreach (var follower in followers)
        {
            caughtUp.Value("kvdb_raft_member_reachable", $"member_id={follower}").Should().Be(1);
            caughtUp.Value("kvdb_raft_follower_matched_index", $"member_id={follower}").Should().BeGreaterThanOrEqualTo(commitBefore + 10);
        }

        // A follower that stops falls behind by every entry written meanwhile.
        var stopped = followers[0];
        (await cluster.Member(stopped).StopAsync(StopTimeout)).Should().Be(0);
        for (var i = 0; i < 10; i++)
            await cluster.PutWithRetryAsync(leader, $"while-{stopped}-is-down-{i}", "v");
        var behind = await WaitForMetricsAsync(cluster, leader, m => m.Value("kvdb_raft_member_reachable", $"member_id={stopped}") == 0);
        behind.Value("kvdb_raft_follower_lag_entries", $"member_id={stopped}").Should().BeGreaterThanOrEqualTo(10);
        behind.Value("kvdb_raft_follower_lag_entries", $"member_id={followers[1]}").Should().BeLessThan(10);

        // Followers report the same indices from their side.
        var follower1 = await ScrapeAsync(cluster, followers[1]);
        follower1.Value("kvdb_raft_role", "role=follower").Should().Be(1);
        follower1.Value("kvdb_raft_leader_id").Should().Be(leader);
        follower1.Find("kvdb_raft_follower_lag_entries").Should().BeEmpty("only the leader tracks followers");
    }

    [Fact]
    public async Task Readyz_turns_503_with_the_reason_when_the_quorum_is_gone_while_ping_and_livez_stay_200()
    {
        await using var cluster = await KvdbCluster.StartAsync(3, "--request-timeout", "1s");
        foreach (var id in new[] { 1, 2, 3 })
            (await WaitForReadyzAsync(cluster, id, HttpStatusCode.OK)).Body.Should().Be("ready");

        // Keep the leader and kill the other two: the leader must step down and say so.
        var survivor = await WaitForLeaderAsync(cluster);
        var others = new[] { 1, 2, 3 }.Where(id => id != survivor).ToArray();
        foreach (var id in others)
            await cluster.Member(id).KillAsync();

        var (_, body, headers) = await WaitForReadyzAsync(cluster, survivor, HttpStatusCode.ServiceUnavailable);
        headers.RetryAfter.Should().NotBeNull();
        using var problem = JsonDocument.Parse(body);
        problem.RootElement.GetProperty("status").GetInt32().Should().Be(503);
        problem.RootElement.GetProperty("detail").GetString().Should().StartWith("no leader");
        problem.RootElement.GetProperty("reason").GetString().Should().Be("no-leader");

        (await cluster.Client.GetStringAsync(new Uri(cluster.Url(survivor), "ping"))).Should().Be("pong");
        (await cluster.Client.GetStringAsync(new Uri(cluster.Url(survivor), "livez"))).Should().Be("live", "a member without a leader is not ready, but live: a restart would not bring the majority back");
        using var status = await StatusAsync(cluster, survivor);
        status.RootElement.GetProperty("ready").GetBoolean().Should().BeFalse();
        status.RootElement.GetProperty("role").GetString().Should().Be("follower");
        status.RootElement.GetProperty("leader").ValueKind.Should().Be(JsonValueKind.Null);
        (await ScrapeAsync(cluster, survivor)).Value("kvdb_raft_has_leader").Should().Be(0);
        await cluster.Member(survivor).WaitForOutputAsync($"Member {survivor} lost leadership");

        // With a majority back, the member is ready again.
        cluster.Restart(others[0]);
        (await WaitForReadyzAsync(cluster, survivor, HttpStatusCode.OK)).Body.Should().Be("ready");
    }

    [Fact]
    public async Task Status_names_one_leader_everywhere_and_reports_indices_members_version_and_uptime()
    {
        await using var cluster = await KvdbCluster.StartAsync();
        var leader = await WaitForLeaderAsync(cluster);
        for (var i = 0; i < 5; i++)
            await cluster.PutWithRetryAsync(1 + i % 3, $"status-{i}", "v");
        using var leaderStatus = await StatusAsync(cluster, leader);
        var committed = leaderStatus.RootElement.GetProperty("commitIndex").GetInt64();
        var (exit, versionOutput) = await KvdbProcess.RunToExitAsync(["--version"], Patience);
        exit.Should().Be(0);
        var version = versionOutput.Trim().Split(' ').Last();

        var roles = new List<string>();
        foreach (var id in new[] { 1, 2, 3 })
        {
            // Followers learn the leader's commit index with the next heartbeat.
            using var document = await WaitForStatusAsync(cluster, id, s => s.GetProperty("appliedIndex").GetInt64() >= committed);
            var status = document.RootElement;
            status.GetProperty("id").GetInt32().Should().Be(id);
            status.GetProperty("peerUrl").GetString().Should().Be(cluster.PeerUrl(id));
            status.GetProperty("httpUrl").GetString().Should().Be(cluster.Url(id).ToString().TrimEnd('/'));
            roles.Add(status.GetProperty("role").GetString()!);
            status.GetProperty("term").GetInt64().Should().BeGreaterThanOrEqualTo(1);

            var leaderInfo = status.GetProperty("leader");
            leaderInfo.GetProperty("id").GetInt32().Should().Be(leader);
            leaderInfo.GetProperty("peerUrl").GetString().Should().Be(cluster.PeerUrl(leader));
            leaderInfo.GetProperty("httpUrl").GetString().Should().Be(cluster.Url(leader).ToString().TrimEnd('/'));

            status.GetProperty("commitIndex").GetInt64().Should().BeGreaterThanOrEqualTo(committed);
            status.GetProperty("appliedIndex").GetInt64().Should().BeGreaterThanOrEqualTo(committed);
            status.GetProperty("lastLogIndex").GetInt64().Should().BeGreaterThanOrEqualTo(committed);
            status.GetProperty("snapshotIndex").GetInt64().Should().BeGreaterThanOrEqualTo(0);
            status.GetProperty("ready").GetBoolean().Should().BeTrue();
            status.GetProperty("readiness").GetString().Should().Be("ready");

            var members = status.GetProperty("members").EnumerateArray().ToList();
            members.Select(m => m.GetProperty("id").GetInt32()).Should().Equal(1, 2, 3);
            members.Single(m => m.GetProperty("role").GetString() == "leader").GetProperty("id").GetInt32().Should().Be(leader);

            status.GetProperty("dataDir").GetString().Should().Be(cluster.DataDir(id));
            status.GetProperty("dataDirBytes").GetInt64().Should().BeGreaterThan(0, "the Raft log is on disk");
            status.GetProperty("inMemory").GetBoolean().Should().BeFalse();
            status.GetProperty("diskFreeBytes").GetInt64().Should().BeGreaterThan(0);
            status.GetProperty("minFreeDiskBytes").GetInt64().Should().Be(256L << 20, "the default --min-free-disk");
            status.GetProperty("writesRefused").GetBoolean().Should().BeFalse();
            status.GetProperty("version").GetString().Should().Be(version);
            status.GetProperty("uptimeSeconds").GetDouble().Should().BeGreaterThan(0);
            status.GetProperty("startedAt").GetDateTimeOffset().Should().BeBefore(DateTimeOffset.UtcNow);
        }

        roles.Count(r => r == "leader").Should().Be(1);
        roles.Count(r => r == "follower").Should().Be(2);
        (await ScrapeAsync(cluster, leader)).Value("kvdb_build_info", $"version={version}").Should().Be(1);
    }

    [Fact]
    public async Task A_member_waiting_to_join_is_not_ready_and_says_why()
    {
        var ports = FreePorts.Take(2);
        await using var lone = new KvdbProcess(1, ["--cluster", $"http://127.0.0.1:{ports[0]}", "--port", ports[1].ToString(CultureInfo.InvariantCulture), "--join", "--in-memory"]);
        lone.Start();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var url = new Uri($"http://127.0.0.1:{ports[1]}/");

        var (status, body) = await Eventually.ValueAsync(async () =>
        {
            using var response = await client.GetAsync(new Uri(url, "readyz"));
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }, r => r.Item1 == 503, "the joining member's /readyz to answer 503", Patience, () => lone.Output, Unreachable, PollInterval);
        status.Should().Be(503);
        using (var problem = JsonDocument.Parse(body))
        {
            problem.RootElement.GetProperty("detail").GetString().Should().Be("waiting to be added to a cluster (--join)");
            problem.RootElement.GetProperty("reason").GetString().Should().Be("joining");
        }

        (await client.GetStringAsync(new Uri(url, "ping"))).Should().Be("pong");
        using var document = JsonDocument.Parse(await client.GetStringAsync(new Uri(url, "v1/status")));
        document.RootElement.GetProperty("role").GetString().Should().Be("joining");
        document.RootElement.GetProperty("inMemory").GetBoolean().Should().BeTrue();
        document.RootElement.GetProperty("dataDirBytes").GetInt64().Should().BeGreaterThanOrEqualTo(0);
        var metrics = PrometheusText.Parse(await client.GetStringAsync(new Uri(url, "metrics")));
        metrics.Value("kvdb_raft_role", "role=joining").Should().Be(1);
        metrics.Find("kvdb_storage_memtable_bytes").Should().ContainSingle("the storage engine reports as soon as the member has started");
        metrics.Find("kvdb_storage_table_files").Should().ContainSingle();
    }

    [Fact]
    public async Task At_debug_level_each_request_is_one_concise_line()
    {
        var ports = FreePorts.Take(2);
        await using var member = new KvdbProcess(1, ["--cluster", $"http://127.0.0.1:{ports[0]}", "--port", ports[1].ToString(CultureInfo.InvariantCulture), "--in-memory", "--log-level", "Debug"]);
        member.Start();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var url = new Uri($"http://127.0.0.1:{ports[1]}/");
        await Eventually.ValueAsync(() => client.GetStringAsync(new Uri(url, "ping")), pong => pong == "pong", "the member to answer /ping", Patience, () => member.Output, Unreachable, PollInterval);
        await Eventually.ValueAsync(async () =>
        {
            using var response = await client.GetAsync(new Uri(url, "readyz"));
            return response.StatusCode;
        }, code => code == HttpStatusCode.OK, "the member to be ready", Patience, () => member.Output, Unreachable, PollInterval);

        await client.GetStringAsync(new Uri(url, "v1/status?probe=1"));
        var line = await Eventually.ValueAsync(
            () => Task.FromResult(member.Output.Split('\n').FirstOrDefault(l => l.Contains("GET /v1/status?probe=1"))),
            found => found is not null,
            "the member to log GET /v1/status?probe=1",
            Patience,
            () => member.Output,
            Unreachable,
            PollInterval);

        line.Should().MatchRegex(@"^\d\d:\d\d:\d\d\.\d\d\d dbug http: GET /v1/status\?probe=1 -> 200 in \d+\.\d ms$");
        member.Output.Should().NotContain("Microsoft.AspNetCore", "ASP.NET Core's own per-request lines stay off at Debug");
        member.Output.Should().Contain("info raft: Member 1 became the leader");
    }

    private static async Task<PrometheusText> ScrapeAsync(KvdbCluster cluster, int id)
    {
        using var response = await cluster.Client.GetAsync(new Uri(cluster.Url(id), "metrics"));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/plain");
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    private static async Task<JsonDocument> StatusAsync(KvdbCluster cluster, int id)
    {
        using var response = await cluster.Client.GetAsync(new Uri(cluster.Url(id), "v1/status"));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    /// <summary>Polls every member's /v1/status until exactly one is the leader and all agree on it.</summary>
    private static async Task<int> WaitForLeaderAsync(KvdbCluster cluster)
    {
        var ids = cluster.Members.Where(m => m.IsRunning).Select(m => m.Id).ToList();
        var agreed = await Eventually.ValueAsync(async () =>
        {
            var seen = new List<(string Role, int? Leader)>();
            foreach (var id in ids)
            {
                using var status = await StatusAsync(cluster, id);
                var leader = status.RootElement.GetProperty("leader");
                seen.Add((status.RootElement.GetProperty("role").GetString()!, leader.ValueKind is JsonValueKind.Null ? null : leader.GetProperty("id").GetInt32()));
            }

            return seen;
        }, seen => seen.Count(s => s.Role == "leader") == 1 && seen.All(s => s.Leader is not null && s.Leader == seen[0].Leader), "one leader that every member names", Patience, cluster.Describe, Unreachable, PollInterval);
        return agreed[0].Leader!.Value;
    }

    private static async Task<PrometheusText> WaitForMetricsAsync(KvdbCluster cluster, int id, Func<PrometheusText, bool> condition)
        => await Eventually.ValueAsync(() => ScrapeAsync(cluster, id), condition, $"member {id}'s metrics to match", Patience, cluster.Describe, Unreachable, PollInterval);

    private static async Task<JsonDocument> WaitForStatusAsync(KvdbCluster cluster, int id, Func<JsonElement, bool> condition)
        => await Eventually.ValueAsync(() => StatusAsync(cluster, id), d => condition(d.RootElement), $"member {id}'s /v1/status to match", Patience, cluster.Describe, Unreachable, PollInterval);

    private static async Task<(HttpStatusCode Status, string Body, System.Net.Http.Headers.HttpResponseHeaders Headers)> WaitForReadyzAsync(KvdbCluster cluster, int id, HttpStatusCode expected)
        => await Eventually.ValueAsync(async () =>
        {
            var response = await cluster.Client.GetAsync(new Uri(cluster.Url(id), "readyz"));
            return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers);
        }, r => r.StatusCode == expected, $"member {id}'s /readyz to answer {(int)expected}", Patience, cluster.Describe, Unreachable, PollInterval);

    // A member not listening yet answers nothing; any other failure (a wrong status or content type) fails at once.
    private static bool Unreachable(Exception e) => e is HttpRequestException;
}
