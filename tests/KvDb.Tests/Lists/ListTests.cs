// Lists against real members: keyspaces (create, 409, describe, list their lists, delete), appends from a
// follower that a producer replays exactly once, pages both ways with continuations, seeks by
// timestamp and nonce, NDJSON appends, a follower of the tail that sees every later item once
// (and gets its answer's headers at once when there is nothing to send yet),
// and 400/404/413 problem details.
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace KvDb.Tests.Lists;

public sealed class ListFixture : IAsyncLifetime
{
    public KvdbCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await KvdbCluster.StartAsync(3, "--in-memory", "--max-value-bytes", "4096");
        var leader = await Cluster.WaitForLeaderAsync();
        (await Cluster.Client.PutAsync(new Uri(Cluster.Url(leader), "v1/keyspaces/events"), null)).StatusCode.Should().Be(HttpStatusCode.Created);
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class ListTests(ListFixture fixture) : IClassFixture<ListFixture>
{
    private KvdbCluster Cluster => fixture.Cluster;

    private async Task<int> FollowerAsync() => (await Cluster.WaitForLeaderAsync()) % 3 + 1;

    private async Task<JsonElement> AppendAsync(int member, string key, string body, string mediaType = "application/json", HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await Cluster.Client.PostAsync(new Uri(Cluster.Url(member), $"v1/lists/events/{key}"), new StringContent(body, Encoding.UTF8, mediaType));
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(expected, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<JsonElement> PageAsync(int member, string key, string query)
        => await Cluster.Client.GetFromJsonAsync<JsonElement>(new Uri(Cluster.Url(member), $"v1/lists/events/{key}?{query}"));

    [Fact]
    public async Task A_keyspaces_lists_are_listed_in_key_order_page_by_page()
    {
        var leader = await Cluster.WaitForLeaderAsync();
        (await Cluster.Client.PutAsync(new Uri(Cluster.Url(leader), "v1/keyspaces/catalog"), null)).StatusCode.Should().Be(HttpStatusCode.Created);
        foreach (var key in new[] { "d", "b/c", "a" })
        {
            using var appended = await Cluster.Client.PostAsync(new Uri(Cluster.Url(leader), $"v1/lists/catalog/{key}"), new StringContent("""{"items": [{"value": "x"}, {"value": "yz"}]}""", Encoding.UTF8, "application/json"));
            appended.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        var member = await FollowerAsync();
        var first = await Cluster.Client.GetFromJsonAsync<JsonElement>(new Uri(Cluster.Url(member), "v1/keyspaces/catalog/lists?limit=2"));
        first.GetProperty("lists").EnumerateArray().Select(static l => l.GetProperty("key").GetString()).Should().Equal("a", "b/c");
        first.GetProperty("lists")[1].GetProperty("count").GetInt64().Should().Be(2);
        first.GetProperty("lists")[1].GetProperty("bytes").GetInt64().Should().Be(3);
        var rest = await Cluster.Client.GetFromJsonAsync<JsonElement>(new Uri(Cluster.Url(member), $"v1/keyspaces/catalog/lists?limit=2&continuation={first.GetProperty("continuation").GetString()}"));
        rest.GetProperty("lists").EnumerateArray().Select(static l => l.GetProperty("key").GetString()).Should().Equal("d");
        rest.GetProperty("continuation").ValueKind.Should().Be(JsonValueKind.Null);

        using var missing = await Cluster.Client.GetAsync(new Uri(Cluster.Url(member), "v1/keyspaces/no-such-keyspace/lists"));
        missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
        using var badLimit = await Cluster.Client.GetAsync(new Uri(Cluster.Url(member), "v1/keyspaces/catalog/lists?limit=0"));
        badLimit.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_producer_that_replays_stores_each_item_once_and_pages_go_both_ways()
    {
        var member = await FollowerAsync();
        var first = await AppendAsync(member, "orders", """{"items": [{"value": "a", "nonce": 1, "timestamp": 1000}, {"value": "b", "nonce": 2, "timestamp": 2000}, {"value": "c", "nonce": 3, "timestamp": 3000}]}""");
        (first.GetProperty("firstOffset").GetInt64(), first.GetProperty("lastOffset").GetInt64(), first.GetProperty("appended").GetInt64()).Should().Be((0L, 2L, 3L));
        var replay = await AppendAsync(member % 3 + 1, "orders", """{"items": [{"value": "c", "nonce": 3, "timestamp": 3000}, {"value": "d", "nonce": 340282366920938463463374607431768211455, "timestamp": 4000}]}""");
        (replay.GetProperty("appended").GetInt64(), replay.GetProperty("skipped").GetInt64(), replay.GetProperty("firstOffset").GetInt64()).Should().Be((1L, 1L, 3L));

        var page = await PageAsync(member, "orders", "limit=3");
        page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("value").GetString()).Should().Equal("a", "b", "c");
        var rest = await PageAsync(member, "orders", $"limit=3&continuation={page.GetProperty("continuation").GetString()}");
        rest.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("value").GetString()).Should().Equal("d");
        rest.GetProperty("continuation").ValueKind.Should().Be(JsonValueKind.Null);
        rest.GetProperty("items")[0].GetProperty("nonce").GetRawText().Should().Be("340282366920938463463374607431768211455");

        (await PageAsync(member, "orders", "order=backward&limit=2")).GetProperty("items").EnumerateArray().Select(i => i.GetProperty("offset").GetInt64()).Should().Equal(3, 2);
        (await PageAsync(member, "orders", "startTimestamp=1500&limit=1")).GetProperty("items")[0].GetProperty("value").GetString().Should().Be("b");
        (await PageAsync(member, "orders", "startNonce=3&limit=1")).GetProperty("items")[0].GetProperty("offset").GetInt64().Should().Be(2);
        (await PageAsync(member, "nothing-here", "")).GetProperty("items").GetArrayLength().Should().Be(0);

        var meta = await Cluster.Client.GetFromJsonAsync<JsonElement>(new Uri(Cluster.Url(member), "v1/keyspaces/events/lists/orders"));
        (meta.GetProperty("count").GetInt64(), meta.GetProperty("lastTimestamp").GetInt64(), meta.GetProperty("lastNonce").GetString()).Should().Be((4L, 4000L, "340282366920938463463374607431768211455"));
        var keyspace = await Cluster.Client.GetFromJsonAsync<JsonElement>(new Uri(Cluster.Url(member), "v1/keyspaces/events"));
        keyspace.GetProperty("items").GetInt64().Should().BeGreaterThanOrEqualTo(4);
    }

    [Fact]
    public async Task An_append_retried_with_its_idempotency_key_applies_once_from_any_member()
    {
        var member = await FollowerAsync();
        async Task<HttpResponseMessage> SendAsync(int to, string body, string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Cluster.Url(to), "v1/lists/events/retried")) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("Idempotency-Key", key);
            return await Cluster.Client.SendAsync(request);
        }

        using var first = await SendAsync(member, """{"items": [{"value": "no nonce"}]}""", "append-1");
        first.StatusCode.Should().Be(HttpStatusCode.OK);
        using var retried = await SendAsync(member % 3 + 1, """{"items": [{"value": "no nonce"}]}""", "append-1");
        retried.StatusCode.Should().Be(HttpStatusCode.OK);
        retried.Headers.GetValues("Idempotent-Replayed").Should().Equal("true");
        (await retried.Content.ReadAsStringAsync()).Should().Be(await first.Content.ReadAsStringAsync());
        (await PageAsync(member, "retried", "")).GetProperty("items").GetArrayLength().Should().Be(1, "the retry was not applied again");

        var revision = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("revision").GetInt64();
        var line = JsonDocument.Parse(await Cluster.Client.GetStringAsync(new Uri(Cluster.Url(member), $"v1/log?from={revision}&limit=1"))).RootElement;
        line.GetProperty("Append").GetRawText().Should().Be("""{"keyspace":"events","key":"retried","items":[{"value":{"Str":"no nonce"}}],"idempotencyKey":"append-1"}""", "the log shows an append in the request's own terms");

        using var reused = await SendAsync(member, """{"items": [{"value": "something else"}]}""", "append-1");
        reused.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity, await reused.Content.ReadAsStringAsync());
        using var bad = await SendAsync(member, """{"items": [{"value": "x"}]}""", new string('k', 256));
        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await bad.Content.ReadAsStringAsync()).Should().Contain("Idempotency-Key");
        (await PageAsync(member, "retried", "")).GetProperty("items").GetArrayLength().Should().Be(1, "refused appends store nothing");
    }

    [Fact]
    public async Task A_follower_gets_the_page_then_every_later_item_once_in_order()
    {
        var member = await FollowerAsync();
        await AppendAsync(member, "tail", """{"items": [{"value": "0"}]}""");
        using var follow = await Cluster.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(Cluster.Url(member), "v1/lists/events/tail?follow=true")), HttpCompletionOption.ResponseHeadersRead);
        using var lines = new StreamReader(await follow.Content.ReadAsStreamAsync());
        var writers = Enumerable.Range(1, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
                await AppendAsync(w % 3 + 1, "tail", $$"""{"items": [{"value": "{{w}}-{{i}}"}]}""");
        })).ToList();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var offsets = new List<long>();
        while (offsets.Count < 41)
            offsets.Add(JsonDocument.Parse((await lines.ReadLineAsync(timeout.Token))!).RootElement.GetProperty("offset").GetInt64());
        await Task.WhenAll(writers);
        offsets.Should().Equal(Enumerable.Range(0, 41).Select(i => (long)i));
    }

    [Fact]
    public async Task A_follower_at_the_tail_of_a_quiet_list_gets_the_headers_at_once()
    {
        var member = await FollowerAsync();
        await AppendAsync(member, "quiet", """{"items": [{"value": "0"}]}""");

        // Nothing to send: the answer's headers must still come, or a client takes the member for dead.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var follow = await Cluster.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(Cluster.Url(member), "v1/lists/events/quiet?follow=true&startOffset=1")), HttpCompletionOption.ResponseHeadersRead, deadline.Token);

        follow.StatusCode.Should().Be(HttpStatusCode.OK);
        follow.Content.Headers.ContentType!.MediaType.Should().Be("application/x-ndjson");
    }

    [Fact]
    public async Task Ndjson_appends_and_keyspace_lifecycle()
    {
        var leader = await Cluster.WaitForLeaderAsync();
        (await Cluster.Client.PutAsync(new Uri(Cluster.Url(leader), "v1/keyspaces/scratch"), null)).StatusCode.Should().Be(HttpStatusCode.Created);
        (await Cluster.Client.PutAsync(new Uri(Cluster.Url(leader), "v1/keyspaces/scratch"), null)).StatusCode.Should().Be(HttpStatusCode.Conflict);
        using (var appended = await Cluster.Client.PostAsync(new Uri(Cluster.Url(leader), "v1/lists/scratch/k"), new StringContent("{\"value\": \"x\"}\n{\"valueBase64\": \"/w==\"}\n", Encoding.UTF8, "application/x-ndjson")))
            appended.StatusCode.Should().Be(HttpStatusCode.OK);
        var page = await Cluster.Client.GetFromJsonAsync<JsonElement>(new Uri(Cluster.Url(leader), "v1/lists/scratch/k"));
        page.GetProperty("items")[1].GetProperty("valueBase64").GetString().Should().Be("/w==");
        (await Cluster.Client.GetFromJsonAsync<JsonElement>(new Uri(Cluster.Url(leader), "v1/keyspaces"))).GetProperty("keyspaces").EnumerateArray().Select(k => k.GetProperty("name").GetString()).Should().Contain("scratch");
        (await Cluster.Client.DeleteAsync(new Uri(Cluster.Url(leader), "v1/keyspaces/scratch"))).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await Cluster.Client.GetAsync(new Uri(Cluster.Url(leader), "v1/keyspaces/scratch"))).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await Cluster.Client.PostAsync(new Uri(Cluster.Url(leader), "v1/lists/scratch/k"), new StringContent("""{"items": [{"value": "x"}]}"""))).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("""{"items": []}""", "1 to")]
    [InlineData("""{"items": [{"nonce": 1}]}""", "needs \"value\"")]
    [InlineData("""{"items": [{"value": "x", "nonce": -1}]}""", "nonce")]
    [InlineData("""{"items": [{"value": "x", "nonce": 340282366920938463463374607431768211456}]}""", "nonce")]
    [InlineData("""{"items": [{"value": "x", "timestamp": "soon"}]}""", "timestamp")]
    [InlineData("""[1, 2]""", "items")]
    public async Task Bad_appends_are_400(string body, string says)
        => (await AppendAsync(await FollowerAsync(), "bad", body, expected: HttpStatusCode.BadRequest)).GetProperty("detail").GetString().Should().Contain(says);

    [Fact]
    public async Task Time_going_back_is_400_and_too_large_is_413()
    {
        var member = await FollowerAsync();
        await AppendAsync(member, "clock", """{"items": [{"value": "x", "timestamp": 5000}]}""");
        (await AppendAsync(member, "clock", """{"items": [{"value": "y", "timestamp": 4000}]}""", expected: HttpStatusCode.BadRequest)).GetProperty("title").GetString().Should().Be("Timestamp out of order");
        var huge = new string('h', 80 * 1024);
        await AppendAsync(member, "clock", $$"""{"items": [{"value": "{{huge}}"}]}""", expected: HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task The_same_timed_append_sent_twice_skips_its_items_the_second_time()
    {
        var member = await FollowerAsync();
        const string body = """{"items":[{"value":"v1","nonce":1,"timestamp":1700000001000},{"value":"v2","nonce":2,"timestamp":1700000002000}]}""";
        (await AppendAsync(member, "replayed", body)).GetProperty("appended").GetInt64().Should().Be(2);
        var again = await AppendAsync(member, "replayed", body);
        again.GetProperty("skipped").GetInt64().Should().Be(2);
        again.GetProperty("appended").GetInt64().Should().Be(0);
    }

    [Theory]
    [InlineData("order=sideways")]
    [InlineData("limit=0")]
    [InlineData("startOffset=1&startNonce=2")]
    [InlineData("continuation=b5")]
    [InlineData("startNonce=abc")]
    public async Task Bad_page_queries_are_400(string query)
        => (await Cluster.Client.GetAsync(new Uri(Cluster.Url(1), $"v1/lists/events/orders?{query}"))).StatusCode.Should().Be(HttpStatusCode.BadRequest);
}
