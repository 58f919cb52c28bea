// Locks and elections against real members: holders in request order with strictly increasing
// fencing tokens, release and lease expiry handing the lock on, a waiter outliving the TTL of
// the lease the lock granted it, a timeout that leaves nothing queued, a transaction fenced by
// the lock key's revision; an election whose leader, value changes and resignation an observer
// sees as they happen.
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace KvDb.Tests.Locks;

public sealed class LockFixture : IAsyncLifetime
{
    public KvdbCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await KvdbCluster.StartAsync(3, "--in-memory");

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class LockTests(LockFixture fixture) : IClassFixture<LockFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private KvdbCluster Cluster => fixture.Cluster;

    private Task<HttpResponseMessage> AcquireAsync(int member, string name, string query)
        => Cluster.Client.PostAsync(new Uri(Cluster.Url(member), $"v1/locks/{name}?{query}"), null);

    private static async Task<JsonElement> JsonOf(HttpResponseMessage response)
    {
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task A_lock_goes_to_waiters_in_order_with_increasing_fencing_tokens_on_release_and_on_expiry()
    {
        var first = await JsonOf(await AcquireAsync(1, "build", "ttl=60s"));
        var second = AcquireAsync(2, "build", "ttl=60s&timeout=60s");
        await Eventually.WaitUntilAsync(async () =>
            (await Cluster.Client.GetFromJsonAsync<JsonElement>(new Uri(Cluster.Url(1), "v1/locks/build"))).GetProperty("waiting").GetArrayLength() == 1,
            "the second contender to queue", Deadline);
        second.IsCompleted.Should().BeFalse("the lock is held");

        // A transaction fenced by the holder's token goes through; one with a stale token would not.
        var fenced = await Cluster.Client.PostAsync(new Uri(Cluster.Url(1), "v1/txn"), new StringContent($$$"""
            {"if": [{"key": "{{{first.GetProperty("key").GetString()}}}", "target": "createRevision", "op": "==", "value": {{{first.GetProperty("revision").GetInt64()}}}}],
             "then": [{"put": {"key": "build/output", "value": "1"}}]}
            """));
        (await fenced.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("succeeded").GetBoolean().Should().BeTrue();

        var key = first.GetProperty("key").GetString()!;
        (await Cluster.Client.DeleteAsync(new Uri(Cluster.Url(3), $"v1/locks/build/{key[(key.LastIndexOf('/') + 1)..]}"))).StatusCode.Should().Be(HttpStatusCode.NoContent);
        var next = await JsonOf(await second.WaitAsync(Deadline));
        next.GetProperty("revision").GetInt64().Should().BeGreaterThan(first.GetProperty("revision").GetInt64());

        // The holder's lease expiring releases the lock too: a 1 s lock nobody keeps alive.
        (await Cluster.Client.DeleteAsync(new Uri(Cluster.Url(1), $"v1/locks/build/{next.GetProperty("key").GetString()}"))).StatusCode.Should().Be(HttpStatusCode.NoContent);
        var brief = await JsonOf(await AcquireAsync(1, "build", "ttl=1s"));
        var after = await JsonOf(await AcquireAsync(2, "build", "ttl=60s&timeout=30s"));
        after.GetProperty("revision").GetInt64().Should().BeGreaterThan(brief.GetProperty("revision").GetInt64());
    }

    [Fact]
    public async Task A_waiter_keeps_its_place_longer_than_the_ttl_of_the_lease_the_lock_granted_it()
    {
        var holder = await JsonOf(await AcquireAsync(1, "long-job", "ttl=60s"));
        var waiter = AcquireAsync(2, "long-job", "ttl=1s&timeout=60s");
        async Task<string?> QueuedAsync()
        {
            var waiting = (await Cluster.Client.GetFromJsonAsync<JsonElement>(new Uri(Cluster.Url(3), "v1/locks/long-job"))).GetProperty("waiting");
            return waiting.GetArrayLength() == 1 ? waiting[0].GetString() : null;
        }

        string? queued = null;
        await Eventually.WaitUntilAsync(async () => (queued = await QueuedAsync()) is not null, "the waiter to queue", Deadline);

        // Three of its TTLs later the waiter still has its place: kvdb renews the lease it granted
        // while the request waits (before, the lease expired and the waiter got 409).
        var since = System.Diagnostics.Stopwatch.StartNew();
        while (since.Elapsed < TimeSpan.FromSeconds(3))
        {
            (await QueuedAsync()).Should().Be(queued, "the waiting request keeps the lease it was granted alive");
            waiter.IsCompleted.Should().BeFalse("the lock is held");
            await Task.Delay(200);
        }

        var key = holder.GetProperty("key").GetString()!;
        (await Cluster.Client.DeleteAsync(new Uri(Cluster.Url(1), $"v1/locks/long-job/{key[(key.LastIndexOf('/') + 1)..]}"))).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await JsonOf(await waiter.WaitAsync(Deadline))).GetProperty("key").GetString().Should().Be(queued);
    }

    [Fact]
    public async Task A_contender_that_times_out_gets_409_and_leaves_nothing_queued()
    {
        var holder = await JsonOf(await AcquireAsync(1, "deploy", "ttl=60s"));
        using var late = await AcquireAsync(2, "deploy", "ttl=60s&timeout=300ms");
        late.StatusCode.Should().Be(HttpStatusCode.Conflict);
        var state = await Cluster.Client.GetFromJsonAsync<JsonElement>(new Uri(Cluster.Url(3), "v1/locks/deploy"));
        state.GetProperty("holder").GetProperty("key").GetString().Should().Be(holder.GetProperty("key").GetString());
        state.GetProperty("waiting").GetArrayLength().Should().Be(0);
    }

    [Theory]
    [InlineData("ttl=0s")]
    [InlineData("lease=x")]
    [InlineData("timeout=1h")]
    [InlineData("lease=1&ttl=5s")]
    public async Task Bad_lock_requests_are_400(string query)
        => (await AcquireAsync(1, "bad", query)).StatusCode.Should().Be(HttpStatusCode.BadRequest);

    [Theory]
    [InlineData("progress=1h")]
    [InlineData("progress=soon")]
    public async Task A_bad_observe_progress_is_400_with_problem_details(string query)
    {
        using var response = await Cluster.Client.GetAsync(new Uri(Cluster.Url(1), $"v1/elections/any/observe?{query}"));
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await response.Content.ReadAsStringAsync()).Should().Contain("progress must be a duration");
    }

    [Fact]
    public async Task A_lock_on_a_missing_lease_is_404()
        => (await AcquireAsync(1, "orphan", "lease=987654321")).StatusCode.Should().Be(HttpStatusCode.NotFound);

    [Fact]
    public async Task An_observer_sees_the_leader_its_proclamations_and_its_successor()
    {
        using var observe = await Cluster.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(Cluster.Url(2), "v1/elections/primary/observe?progress=200ms")), HttpCompletionOption.ResponseHeadersRead);
        using var lines = new StreamReader(await observe.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(Deadline);
        async Task<JsonElement> NextAsync()
        {
            while (true)
            {
                var line = JsonDocument.Parse((await lines.ReadLineAsync(timeout.Token))!).RootElement;
                if (!line.TryGetProperty("type", out var type))
                    return line;
                type.GetString().Should().Be("progress");
                line.GetProperty("revision").GetInt64().Should().BePositive();
            }
        }

        (await NextAsync()).GetProperty("leader").ValueKind.Should().Be(JsonValueKind.Null);
        var quiet = JsonDocument.Parse((await lines.ReadLineAsync(timeout.Token))!).RootElement;
        quiet.GetProperty("type").GetString().Should().Be("progress", "a quiet election still sends progress lines, so an observer can tell it from a dead member");

        var a = await JsonOf(await Cluster.Client.PostAsJsonAsync(new Uri(Cluster.Url(1), "v1/elections/primary/campaign"), new { value = "a:80", ttl = "60s" }));
        (await NextAsync()).GetProperty("value").GetString().Should().Be("a:80");
        var b = Cluster.Client.PostAsJsonAsync(new Uri(Cluster.Url(3), "v1/elections/primary/campaign?timeout=60s"), new { value = "b:80", ttl = "60s" });

        (await Cluster.Client.GetFromJsonAsync<JsonElement>(new Uri(Cluster.Url(3), "v1/elections/primary"))).GetProperty("value").GetString().Should().Be("a:80");
        using var proclaimed = await Cluster.Client.PutAsJsonAsync(new Uri(Cluster.Url(1), "v1/elections/primary/proclaim"), new { key = a.GetProperty("key").GetString(), revision = a.GetProperty("revision").GetInt64(), value = "a:81" });
        proclaimed.StatusCode.Should().Be(HttpStatusCode.OK);
        (await NextAsync()).GetProperty("value").GetString().Should().Be("a:81");

        (await Cluster.Client.PostAsJsonAsync(new Uri(Cluster.Url(1), "v1/elections/primary/resign"), new { key = a.GetProperty("key").GetString() })).StatusCode.Should().Be(HttpStatusCode.NoContent);
        var elected = await JsonOf(await b.WaitAsync(Deadline));
        elected.GetProperty("revision").GetInt64().Should().BeGreaterThan(a.GetProperty("revision").GetInt64());
        JsonElement seen;
        do
        {
            seen = await NextAsync();
        }
        while (seen.TryGetProperty("leader", out _));
        seen.GetProperty("value").GetString().Should().Be("b:80");

        using var stale = await Cluster.Client.PutAsJsonAsync(new Uri(Cluster.Url(1), "v1/elections/primary/proclaim"), new { key = a.GetProperty("key").GetString(), revision = a.GetProperty("revision").GetInt64(), value = "a:82" });
        stale.StatusCode.Should().Be(HttpStatusCode.Conflict, "a resigned leader cannot proclaim");
    }
}
