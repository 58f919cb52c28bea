// Leases against real members: grant, keep-alive and inspection from a follower, keys that
// expire (a put with ?ttl= in one step) and arrive at watchers as deletes, revocation deleting
// every attached key at one revision, a lease surviving the leader's kill -9 with its TTL
// restarted by the new leader, and 400/404/429 problem details.
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace KvDb.Tests.Leases;

public sealed class LeaseFixture : IAsyncLifetime
{
    public KvdbCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await KvdbCluster.StartAsync(3, "--in-memory", "--election-timeout", "500ms", "--request-timeout", "3s");

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class LeaseTests(LeaseFixture fixture) : IClassFixture<LeaseFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private KvdbCluster Cluster => fixture.Cluster;

    private async Task<int> FollowerAsync() => (await Cluster.WaitForLeaderAsync()) % 3 + 1;

    private async Task<long> GrantAsync(int member, string ttl)
    {
        using var response = await Cluster.Client.PostAsJsonAsync(new Uri(Cluster.Url(member), "v1/leases"), new { ttl });
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    private async Task<HttpResponseMessage> PutAsync(int member, string key, string query)
        => await Cluster.Client.PutAsync(new Uri(Cluster.Url(member), $"v1/kv/{key}?{query}"), new StringContent("v"));

    private async Task<JsonElement> GetJsonAsync(int member, string path)
    {
        using var response = await Cluster.Client.GetAsync(new Uri(Cluster.Url(member), path));
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task A_lease_is_granted_kept_alive_and_described_through_a_follower()
    {
        var member = await FollowerAsync();
        var id = await GrantAsync(member, "60s");
        (await PutAsync(member, "lease1/a", $"lease={id}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await PutAsync(member, "lease1/b", $"lease={id}")).StatusCode.Should().Be(HttpStatusCode.NoContent);

        var described = await GetJsonAsync(member, $"v1/leases/{id}");
        described.GetProperty("ttlSeconds").GetDouble().Should().Be(60);
        described.GetProperty("keys").EnumerateArray().Select(k => k.GetString()).Should().Equal("lease1/a", "lease1/b");
        var before = described.GetProperty("remainingSeconds").GetDouble();

        using var kept = await Cluster.Client.PostAsync(new Uri(Cluster.Url(member), $"v1/leases/{id}/keepalive"), null);
        kept.StatusCode.Should().Be(HttpStatusCode.OK);
        var after = (await kept.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("remainingSeconds").GetDouble();
        after.Should().BeGreaterThanOrEqualTo(before, "a keep-alive restarts the TTL").And.BeLessThanOrEqualTo(60);

        (await GetJsonAsync(member, "v1/leases")).GetProperty("leases").EnumerateArray().Select(l => l.GetProperty("id").GetInt64()).Should().Contain(id);
        (await GetJsonAsync(member, "v1/status")).GetProperty("leases").GetProperty("alive").GetInt32().Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task A_key_put_with_a_ttl_expires_and_watchers_see_it_deleted()
    {
        var member = await FollowerAsync();
        using var put = await PutAsync(member, "ttl1/k", "ttl=1s");
        put.StatusCode.Should().Be(HttpStatusCode.NoContent);
        put.Headers.GetValues("X-Kvdb-Lease").Single().Should().NotBeNullOrEmpty();
        var revision = long.Parse(put.Headers.GetValues("X-Kvdb-Revision").Single(), CultureInfo.InvariantCulture);
        using var watch = await Cluster.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(Cluster.Url(member), $"v1/watch?key=ttl1/k&after={revision}")), HttpCompletionOption.ResponseHeadersRead);
        using var events = new StreamReader(await watch.Content.ReadAsStreamAsync());

        using var timeout = new CancellationTokenSource(Deadline);
        while (true)
        {
            var line = JsonDocument.Parse((await events.ReadLineAsync(timeout.Token))!).RootElement;
            if (line.GetProperty("type").GetString() == "progress")
                continue;
            line.GetProperty("type").GetString().Should().Be("delete", "the only change after the put is its expiry");
            break;
        }

        (await Cluster.GetAsync(member, "ttl1/k")).Should().BeNull();
    }

    [Fact]
    public async Task Revoking_deletes_every_attached_key_at_one_revision()
    {
        var leader = await Cluster.WaitForLeaderAsync();
        var id = await GrantAsync(leader, "60s");
        foreach (var key in new[] { "rev1/a", "rev1/b", "rev1/c" })
            (await PutAsync(leader, key, $"lease={id}")).StatusCode.Should().Be(HttpStatusCode.NoContent);

        using var revoked = await Cluster.Client.DeleteAsync(new Uri(Cluster.Url(leader), $"v1/leases/{id}"));
        revoked.StatusCode.Should().Be(HttpStatusCode.NoContent);
        var page = await GetJsonAsync(leader, "v1/kv?prefix=rev1/");
        page.GetProperty("items").GetArrayLength().Should().Be(0);

        var log = await Cluster.Client.GetStringAsync(new Uri(Cluster.Url(leader), $"v1/log?from={page.GetProperty("revision").GetInt64()}&limit=1"));
        var entries = log.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        entries.Where(e => e.TryGetProperty("RevokeLease", out _)).Select(e => e.GetProperty("RevokeLease").GetProperty("id").GetInt64()).Should().Contain(id);
        (await Cluster.Client.DeleteAsync(new Uri(Cluster.Url(leader), $"v1/leases/{id}"))).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await PutAsync(leader, "rev1/d", $"lease={id}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_lease_survives_a_leader_kill_with_its_whole_ttl_from_the_new_leader()
    {
        var leader = await Cluster.WaitForLeaderAsync();
        var survivor = leader % 3 + 1;
        var id = await GrantAsync(survivor, "120s");
        (await PutAsync(survivor, "survive1/k", $"lease={id}")).StatusCode.Should().Be(HttpStatusCode.NoContent);

        await Cluster.Member(leader).KillAsync();
        await Cluster.WaitForLeaderAsync(except: leader);
        JsonElement described = default;
        await Eventually.WaitUntilAsync(async () =>
        {
            using var response = await Cluster.Client.GetAsync(new Uri(Cluster.Url(survivor), $"v1/leases/{id}"));
            if (response.StatusCode != HttpStatusCode.OK)
                return false;
            described = await response.Content.ReadFromJsonAsync<JsonElement>();
            return described.GetProperty("remainingSeconds").ValueKind is JsonValueKind.Number;
        }, "the new leader to answer for the lease", Deadline);

        described.GetProperty("remainingSeconds").GetDouble().Should().BeGreaterThan(60, "a new leader gives every lease its whole TTL from when it took over");
        described.GetProperty("keys").EnumerateArray().Select(k => k.GetString()).Should().Equal("survive1/k");
        Cluster.Restart(leader);
        await Cluster.WaitUntilMemberServesAsync(leader);
    }

    [Theory]
    [InlineData("ttl=0.5s", "ttl must be from")]
    [InlineData("ttl=soon", "duration")]
    [InlineData("lease=abc", "lease id")]
    [InlineData("lease=1&ttl=5s", "not both")]
    public async Task Bad_lease_parameters_on_a_put_are_400(string query, string says)
    {
        using var response = await PutAsync(await FollowerAsync(), "bad1/k", query);
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString().Should().Contain(says);
    }

    [Theory]
    [InlineData("""{"ttl": "0s"}""")]
    [InlineData("""{"ttl": "30d"}""")]
    [InlineData("""{}""")]
    [InlineData("""not json""")]
    public async Task Bad_grants_are_400(string body)
    {
        using var response = await Cluster.Client.PostAsync(new Uri(Cluster.Url(await FollowerAsync()), "v1/leases"), new StringContent(body));
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Fact]
    public async Task Unknown_leases_are_404_everywhere()
    {
        var member = await FollowerAsync();
        (await Cluster.Client.PostAsync(new Uri(Cluster.Url(member), "v1/leases/424242/keepalive"), null)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await Cluster.Client.GetAsync(new Uri(Cluster.Url(member), "v1/leases/424242"))).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await Cluster.Client.GetAsync(new Uri(Cluster.Url(member), "v1/leases/x"))).StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Grants_past_max_leases_are_429()
    {
        await using var single = await KvdbCluster.StartAsync(1, "--in-memory", "--max-leases", "2");
        for (var i = 0; i < 2; i++)
        {
            using var granted = await single.Client.PostAsJsonAsync(new Uri(single.Url(1), "v1/leases"), new { ttl = "60s" });
            granted.StatusCode.Should().Be(HttpStatusCode.Created);
        }

        using var refused = await single.Client.PostAsJsonAsync(new Uri(single.Url(1), "v1/leases"), new { ttl = "60s" });
        refused.StatusCode.Should().Be((HttpStatusCode)429);
        (await single.Client.PutAsync(new Uri(single.Url(1), "v1/kv/k?ttl=5s"), new StringContent("v"))).StatusCode.Should().Be((HttpStatusCode)429);
    }
}
