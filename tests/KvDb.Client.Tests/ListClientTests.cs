// The list operations of KvClient against a real three-member cluster: keyspaces, appends with
// nonces (a replay is skipped), reads both ways with paging, and a follow that resumes on
// another member without a gap or a duplicate when its member dies.

using System.Diagnostics.CodeAnalysis;

namespace KvDb.Client.Tests;

[Collection(ClientClusterCollection.Name)]
[Trait("Category", "Cluster")]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "The client is disposed in IAsyncLifetime.DisposeAsync, which xUnit calls after each test; the rule does not know xUnit's lifetime interface.")]
public sealed class ListClientTests : IAsyncLifetime
{
    private KvdbCluster cluster = null!;
    private KvClient client = null!;

    public async Task InitializeAsync()
    {
        cluster = await KvdbCluster.StartAsync(3, "--in-memory");
        client = new KvClient(new KvClientOptions { Endpoints = [cluster.Url(1), cluster.Url(2), cluster.Url(3)], RequestTimeout = TimeSpan.FromSeconds(3) });
    }

    public async Task DisposeAsync()
    {
        await client.DisposeAsync();
        await cluster.DisposeAsync();
    }

    [Fact]
    public async Task Keyspaces_appends_with_nonces_reads_both_ways_and_a_follow_across_a_reconnect()
    {
        (await client.CreateKeyspaceAsync("events")).Should().BeTrue();
        (await client.CreateKeyspaceAsync("events")).Should().BeFalse("it exists");
        (await client.GetKeyspaceAsync("events"))!.Name.Should().Be("events");
        (await client.GetKeyspaceAsync("nope")).Should().BeNull();
        await FluentActions.Awaiting(() => client.AppendAsync("nope", "k", new ListAppendItem("x")).AsTask()).Should().ThrowAsync<KvException>();

        var big = UInt128.MaxValue - 10;
        var first = await client.AppendAsync("events", "orders/eu", [new ListAppendItem("order 1", 1), new ListAppendItem("order 2", 2), new ListAppendItem([0, 255], 3)]);
        first.Should().BeEquivalentTo(new { FirstOffset = 0L, LastOffset = 2L, Appended = 3, Skipped = 0 });
        var replay = await client.AppendAsync("events", "orders/eu", [new ListAppendItem("order 2", 2), new ListAppendItem("order 3", 3), new ListAppendItem("order 4", big)]);
        replay.Appended.Should().Be(1);
        replay.Skipped.Should().Be(2, "nonces 2 and 3 were stored already");
        replay.FirstOffset.Should().Be(3);
        for (var i = 0; i < 6; i++)
            await client.AppendAsync("events", "orders/eu", new ListAppendItem($"more {i}"));

        var forward = await client.ReadListAsync("events", "orders/eu", new ListReadOptions { PageSize = 4 }).ToListAsync();
        forward.Select(static i => i.Offset).Should().Equal(Enumerable.Range(0, 10).Select(static i => (long)i), "pages of 4 are followed through the continuation");
        forward[0].ValueAsString().Should().Be("order 1");
        forward[0].Nonce.Should().Be((UInt128)1);
        forward[2].Value.Should().Equal(0, 255);
        forward[3].Nonce.Should().Be(big);
        forward[4].Nonce.Should().BeNull();
        forward.Select(static i => i.TimestampMs).Should().BeInAscendingOrder();

        var backward = await client.ReadListAsync("events", "orders/eu", new ListReadOptions { Order = ListOrder.Backward, PageSize = 3, Limit = 7 }).ToListAsync();
        backward.Select(static i => i.Offset).Should().Equal(9, 8, 7, 6, 5, 4, 3);
        (await client.ReadListAsync("events", "orders/eu", new ListReadOptions { StartOffset = 8 }).ToListAsync()).Select(static i => i.Offset).Should().Equal(8, 9);
        await client.AppendAsync("events", "orders/us", [new ListAppendItem("a", 10), new ListAppendItem("b", 20), new ListAppendItem("c", 30)]);
        (await client.ReadListAsync("events", "orders/us", new ListReadOptions { StartNonce = 15, Limit = 1 }).ToListAsync()).Select(static i => i.ValueAsString()).Should().Equal("b");
        (await client.ReadListAsync("events", "no-such-list").ToListAsync()).Should().BeEmpty();

        // The keyspace's lists with their metadata, one page of one list at a time.
        var lists = await client.ListListsAsync("events", pageSize: 1).ToListAsync();
        lists.Select(static l => (l.Key, l.FirstOffset, l.LastOffset, l.Count)).Should().Equal(("orders/eu", 0L, 9L, 10L), ("orders/us", 0L, 2L, 3L));
        lists.Should().OnlyContain(static l => l.Keyspace == "events" && l.Bytes > 0 && l.FirstTimestamp <= l.LastTimestamp);
        (await client.GetListInfoAsync("events", "orders/us"))!.LastNonce.Should().Be((UInt128)30);
        (await client.GetListInfoAsync("events", "no-such-list")).Should().BeNull();
        (await client.GetListInfoAsync("nope", "orders/us")).Should().BeNull();
        (await FluentActions.Awaiting(async () => await client.ListListsAsync("nope").ToListAsync()).Should().ThrowAsync<KvException>())
            .Which.StatusCode.Should().Be(System.Net.HttpStatusCode.NotFound);

        // Follow from offset 8 through a new client, whose first request goes to its first
        // endpoint (EndpointRotation starts there): member 1. Kill member 1 mid-stream.
        using var meters = new TestMeters();
        await using var follower = new KvClient(new KvClientOptions { Endpoints = [cluster.Url(1), cluster.Url(2), cluster.Url(3)], RequestTimeout = TimeSpan.FromSeconds(3), MeterFactory = meters.Factory });
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var seen = new List<ListItem>();
        await using var items = follower.FollowListAsync("events", "orders/eu", 8, stop.Token).GetAsyncEnumerator(stop.Token);
        for (var i = 0; i < 2; i++)
        {
            (await items.MoveNextAsync()).Should().BeTrue();
            seen.Add(items.Current);
        }

        await cluster.Member(1).KillAsync();
        var writer = new KvClient(new KvClientOptions { Endpoints = [cluster.Url(2), cluster.Url(3)] });
        await using (writer)
        {
            for (var i = 0; i < 5; i++)
                await writer.AppendAsync("events", "orders/eu", new ListAppendItem($"after {i}", big + 1 + (UInt128)i));
        }

        while (seen.Count < 7)
        {
            (await items.MoveNextAsync()).Should().BeTrue();
            seen.Add(items.Current);
        }

        seen.Select(static i => i.Offset).Should().Equal(8, 9, 10, 11, 12, 13, 14);
        seen[^1].ValueAsString().Should().Be("after 4");
        meters.Total("kvdb.client.watch.reconnects").Should().BeGreaterThan(0, "the follow lost its member and resumed on another");

        (await client.DeleteKeyspaceAsync("events")).Should().BeTrue();
        (await client.DeleteKeyspaceAsync("events")).Should().BeFalse();
    }
}
