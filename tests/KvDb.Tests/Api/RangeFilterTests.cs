// GET /v1/kv's filtered pages against a real member: a substring search bounded by scanLimit
// whose continuations find every match exactly once, groups under a delimiter with counts that
// add up across pages cut by the bound, keys-only items with size and lease, and 400 for bad
// filter parameters.
using System.Net;
using System.Text.Json;
using KvDb.Client;

namespace KvDb.Tests.Api;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class RangeFilterTests : IAsyncLifetime
{
    private KvdbCluster cluster = null!;

    public async Task InitializeAsync()
    {
        cluster = await KvdbCluster.StartAsync(1, "--in-memory");
        await cluster.WaitUntilServingAsync();
    }

    public async Task DisposeAsync() => await cluster.DisposeAsync();

    private async Task<JsonElement> PageAsync(string query)
    {
        using var response = await cluster.Client.GetAsync(new Uri(cluster.Url(1), "v1/kv?" + query));
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private async Task<List<JsonElement>> AllPagesAsync(string query)
    {
        var pages = new List<JsonElement>();
        string? continuation = null;
        do
        {
            var page = await PageAsync(query + (continuation is null ? "" : "&continuation=" + continuation));
            pages.Add(page);
            continuation = page.GetProperty("continuation").GetString();
            pages.Count.Should().BeLessThan(100, "the continuations must end");
        }
        while (continuation is not null);
        return pages;
    }

    [Fact]
    public async Task A_substring_search_is_bounded_per_page_and_its_continuations_find_every_match_once()
    {
        for (var i = 0; i < 60; i++)
            await cluster.PutWithRetryAsync(1, $"s/{i:D2}/{(i % 7 == 0 ? "needle" : "hay")}", "v");

        var pages = await AllPagesAsync("prefix=s/&contains=needle&scanLimit=10&keysOnly=true");
        pages.Should().HaveCountGreaterThanOrEqualTo(6, "60 keys at 10 examined per page");
        foreach (var page in pages)
            page.GetProperty("scanned").GetInt32().Should().BeLessThanOrEqualTo(10);
        var found = pages.SelectMany(static p => p.GetProperty("items").EnumerateArray()).Select(static i => i.GetProperty("key").GetString()).ToList();
        found.Should().Equal(Enumerable.Range(0, 60).Where(static i => i % 7 == 0).Select(static i => $"s/{i:D2}/needle"));

        // The same search through the client, a page at a time.
        using var kv = new KvClient(new KvClientOptions { Endpoints = [cluster.Url(1)] });
        var viaClient = new List<string>();
        string? continuation = null;
        do
        {
            var page = await kv.SearchKeysPageAsync("s/", "needle", continuation, limit: 100, scanLimit: 10);
            viaClient.AddRange(page.Items.Select(static e => e.Key));
            continuation = page.Continuation;
        }
        while (continuation is not null);
        viaClient.Should().Equal(found);
    }

    [Fact]
    public async Task Delimited_groups_count_their_keys_across_pages_cut_by_the_scan_bound()
    {
        foreach (var key in new[] { "t/a", "t/b/1", "t/b/2", "t/b/3", "t/b/4", "t/c", "t/d/1", "u/x" })
            await cluster.PutWithRetryAsync(1, key, "value");

        var whole = await PageAsync("prefix=t/&delimiter=/&keysOnly=true");
        whole.GetProperty("items").EnumerateArray().Select(static i => i.GetProperty("key").GetString()).Should().Equal("t/a", "t/c");
        whole.GetProperty("prefixes").EnumerateArray().Select(static p => (p.GetProperty("prefix").GetString(), p.GetProperty("count").GetInt64()))
            .Should().Equal(("t/b/", 4L), ("t/d/", 1L));
        whole.GetProperty("items")[0].GetProperty("size").GetInt32().Should().Be(5);
        whole.GetProperty("items")[0].TryGetProperty("value", out _).Should().BeFalse("keysOnly leaves values out");

        var counts = new Dictionary<string, long>();
        foreach (var page in await AllPagesAsync("prefix=t/&delimiter=/&keysOnly=true&scanLimit=2"))
        {
            foreach (var group in page.GetProperty("prefixes").EnumerateArray())
                counts[group.GetProperty("prefix").GetString()!] = counts.GetValueOrDefault(group.GetProperty("prefix").GetString()!) + group.GetProperty("count").GetInt64();
        }

        counts.Should().BeEquivalentTo(new Dictionary<string, long> { ["t/b/"] = 4, ["t/d/"] = 1 });

        // limit counts groups and keys alike.
        var first = await PageAsync("prefix=t/&delimiter=/&limit=2");
        first.GetProperty("items").GetArrayLength().Should().Be(1);
        first.GetProperty("prefixes").GetArrayLength().Should().Be(1);
        first.GetProperty("continuation").GetString().Should().NotBeNull();
    }

    [Fact]
    public async Task Items_name_their_lease_and_bad_filters_are_400()
    {
        using (var put = await cluster.Client.PutAsync(new Uri(cluster.Url(1), "v1/kv/l/leased?ttl=60s"), new StringContent("v")))
            put.StatusCode.Should().Be(HttpStatusCode.NoContent);
        var page = await PageAsync("prefix=l/&keysOnly=true");
        page.GetProperty("items")[0].GetProperty("lease").GetInt64().Should().BePositive();

        foreach (var query in new[] { "scanLimit=0&contains=a", "scanLimit=100001&contains=a", "keysOnly=maybe", "delimiter=" + new string('/', 17) })
        {
            using var response = await cluster.Client.GetAsync(new Uri(cluster.Url(1), "v1/kv?" + query));
            response.StatusCode.Should().Be(HttpStatusCode.BadRequest, query);
            response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        }
    }
}
