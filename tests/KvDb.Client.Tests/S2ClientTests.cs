// KvClient's S2 calls against a real three-member cluster: basins and streams created, listed,
// read and deleted; records with binary bodies, binary headers and timestamps appended and read
// back byte for byte; the tail; reads by seq_num, tail_offset and count, and a 416 at the tail;
// match_seq_num and fencing conflicts as typed exceptions with nothing appended; and a follow
// that resumes on another member without a gap or a duplicate when its member dies.
using System.Diagnostics.CodeAnalysis;
using KvDb.Contracts;

namespace KvDb.Client.Tests;

[Collection(ClientClusterCollection.Name)]
[Trait("Category", "Cluster")]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "The client is disposed in IAsyncLifetime.DisposeAsync, which xUnit calls after each test; the rule does not know xUnit's lifetime interface.")]
public sealed class S2ClientTests : IAsyncLifetime
{
    private const string Basin = "client-basin-1";

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
    public async Task Basins_streams_and_records_round_trip_binary_bodies_headers_and_timestamps()
    {
        (await client.CreateBasinAsync(Basin)).Should().BeTrue();
        (await client.CreateBasinAsync(Basin)).Should().BeFalse("it exists");
        (await client.CreateBasinAsync("client-basin-2", new S2BasinConfigJson { CreateStreamOnAppend = true })).Should().BeTrue();
        (await client.ListBasinsAsync("client-basin-").ToListAsync()).Select(static b => b.Name).Should().Equal(Basin, "client-basin-2");
        (await client.GetBasinConfigAsync("client-basin-2"))!.CreateStreamOnAppend.Should().BeTrue();
        (await client.GetBasinConfigAsync("client-basin-9")).Should().BeNull();

        (await client.CreateStreamAsync(Basin, "orders/eu")).Should().BeTrue();
        (await client.CreateStreamAsync(Basin, "orders/eu")).Should().BeFalse("it exists");
        (await client.CreateStreamAsync(Basin, "audit", new S2StreamConfigJson { Timestamping = new S2TimestampingJson { Mode = "client-require" } })).Should().BeTrue();
        (await client.ListStreamsAsync(Basin).ToListAsync()).Select(static s => s.Name).Should().Equal("audit", "orders/eu");
        (await client.ListStreamsAsync(Basin, "ord").ToListAsync()).Select(static s => s.Name).Should().Equal("orders/eu");
        (await client.GetStreamConfigAsync(Basin, "audit"))!.Timestamping!.Mode.Should().Be("client-require");
        (await client.GetStreamConfigAsync(Basin, "nope")).Should().BeNull();
        await FluentActions.Awaiting(() => client.CreateStreamAsync("client-basin-9", "s").AsTask()).Should().ThrowAsync<KvException>()
            .Where(static e => e.StatusCode == System.Net.HttpStatusCode.NotFound);

        // Every byte value in a body and in a header's name and value, and a timestamp in the past (kept: client-prefer).
        byte[] binary = [.. Enumerable.Range(0, 256).Select(static i => (byte)i)];
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        var ack = await client.AppendRecordsAsync(Basin, "orders/eu", [
            new S2AppendRecord(binary, [new S2Header([0, 255, 10], [13, 0, 200]), new S2Header("content-type", "application/octet-stream")], at),
            new S2AppendRecord("order 2", null, at.AddMilliseconds(5)),
        ]);
        ack.Start.Should().Be(new S2PositionJson(0, 1_700_000_000_000));
        ack.End.Should().Be(new S2PositionJson(2, 1_700_000_000_005));
        ack.Tail.Should().Be(ack.End);
        (await client.AppendRecordsAsync(Basin, "orders/eu", new S2AppendRecord("order 3"), new S2AppendOptions { MatchSeqNum = 2 })).Start.SeqNum.Should().Be(2);

        var records = await client.ReadRecordsAsync(Basin, "orders/eu", new S2ReadOptions { SeqNum = 0 });
        records.Select(static r => r.SeqNum).Should().Equal(0, 1, 2);
        records[0].Body.Should().Equal(binary);
        records[0].Headers.Should().HaveCount(2);
        records[0].Headers[0].Name.Should().Equal(0, 255, 10);
        records[0].Headers[0].Value.Should().Equal(13, 0, 200);
        records[0].Headers[1].ValueAsString().Should().Be("application/octet-stream");
        records[0].TimestampMs.Should().Be(1_700_000_000_000);
        records[1].BodyAsString().Should().Be("order 2");
        records[1].Headers.Should().BeEmpty();
        records[2].TimestampMs.Should().BeGreaterThan(1_700_000_000_005, "no timestamp given: the arrival time");

        (await client.CheckTailAsync(Basin, "orders/eu")).Should().Be(new S2PositionJson(3, records[2].TimestampMs));
        (await client.ReadRecordsAsync(Basin, "orders/eu", new S2ReadOptions { SeqNum = 1, Count = 1 })).Select(static r => r.BodyAsString()).Should().Equal("order 2");
        (await client.ReadRecordsAsync(Basin, "orders/eu", new S2ReadOptions { TailOffset = 1 })).Select(static r => r.SeqNum).Should().Equal(2);
        (await FluentActions.Awaiting(() => client.ReadRecordsAsync(Basin, "orders/eu", new S2ReadOptions { SeqNum = 9 }).AsTask()).Should().ThrowAsync<S2RangeNotSatisfiableException>())
            .Which.Tail.SeqNum.Should().Be(3);
        var atTail = await FluentActions.Awaiting(() => client.ReadRecordsAsync(Basin, "orders/eu").AsTask()).Should().ThrowAsync<S2RangeNotSatisfiableException>("no start is the tail, and a unary read does not wait");
        atTail.Which.Tail.SeqNum.Should().Be(3);
        await FluentActions.Awaiting(() => client.AppendRecordsAsync(Basin, "audit", new S2AppendRecord("no time")).AsTask()).Should().ThrowAsync<KvException>()
            .Where(static e => e.StatusCode == System.Net.HttpStatusCode.UnprocessableEntity, "client-require wants a timestamp");
        (await client.AppendRecordsAsync("client-basin-2", "made-by-append", new S2AppendRecord("x"))).End.SeqNum.Should().Be(1, "the basin creates streams on append");

        (await client.DeleteStreamAsync(Basin, "orders/eu")).Should().BeTrue();
        (await client.DeleteStreamAsync(Basin, "orders/eu")).Should().BeFalse();
        (await client.GetStreamConfigAsync(Basin, "orders/eu")).Should().BeNull();
        (await client.DeleteBasinAsync(Basin)).Should().BeTrue();
        (await client.DeleteBasinAsync(Basin)).Should().BeFalse();
        (await client.ListBasinsAsync("client-basin-").ToListAsync()).Select(static b => b.Name).Should().Equal("client-basin-2");
    }

    [Fact]
    public async Task Seq_num_and_fencing_conflicts_are_typed_exceptions_and_append_nothing()
    {
        await client.CreateBasinAsync(Basin);
        await client.CreateStreamAsync(Basin, "jobs");
        await client.AppendRecordsAsync(Basin, "jobs", [new S2AppendRecord("a"), new S2AppendRecord("b")]);

        var stale = await FluentActions.Awaiting(() => client.AppendRecordsAsync(Basin, "jobs", new S2AppendRecord("c"), new S2AppendOptions { MatchSeqNum = 1 }).AsTask())
            .Should().ThrowAsync<S2SeqNumMismatchException>();
        stale.Which.ExpectedSeqNum.Should().Be(2);
        stale.Which.Retried.Should().BeFalse("the first try was answered");
        stale.Which.StatusCode.Should().Be(System.Net.HttpStatusCode.PreconditionFailed);

        (await client.AppendRecordsAsync(Basin, "jobs", S2AppendRecord.Fence("owner-1"))).End.SeqNum.Should().Be(3);
        var fenced = await FluentActions.Awaiting(() => client.AppendRecordsAsync(Basin, "jobs", new S2AppendRecord("c"), new S2AppendOptions { FencingToken = "owner-0" }).AsTask())
            .Should().ThrowAsync<S2FencingTokenMismatchException>();
        fenced.Which.ExpectedFencingToken.Should().Be("owner-1");
        (await client.CheckTailAsync(Basin, "jobs")).SeqNum.Should().Be(3, "neither refused append wrote anything");

        (await client.AppendRecordsAsync(Basin, "jobs", new S2AppendRecord("c"), new S2AppendOptions { FencingToken = "owner-1", MatchSeqNum = 3 })).Start.SeqNum.Should().Be(3);
        var all = await client.ReadRecordsAsync(Basin, "jobs", new S2ReadOptions { SeqNum = 0 });
        all.Select(static r => r.IsCommand).Should().Equal(false, false, true, false);
        all[2].BodyAsString().Should().Be("owner-1");
        all[3].BodyAsString().Should().Be("c");

        await client.AppendRecordsAsync(Basin, "jobs", S2AppendRecord.Trim(2), new S2AppendOptions { FencingToken = "owner-1" });
        (await client.ReadRecordsAsync(Basin, "jobs", new S2ReadOptions { SeqNum = 0 })).Select(static r => r.SeqNum).Should().Equal(2, 3, 4);
    }

    [Fact]
    public async Task A_follow_yields_the_records_and_new_ones_and_resumes_on_another_member_without_a_gap_or_a_duplicate()
    {
        await client.CreateBasinAsync(Basin);
        await client.CreateStreamAsync(Basin, "feed");
        for (var i = 0; i < 3; i++)
            await client.AppendRecordsAsync(Basin, "feed", new S2AppendRecord($"before {i}", [new S2Header("n", i.ToString(System.Globalization.CultureInfo.InvariantCulture))]));
        FluentActions.Invoking(() => client.FollowRecordsAsync(Basin, "feed", new S2ReadOptions { Count = 1 })).Should().Throw<ArgumentException>();

        // A new client's first request goes to its first endpoint (EndpointRotation starts there): member 1.
        using var meters = new TestMeters();
        await using var follower = new KvClient(new KvClientOptions { Endpoints = [cluster.Url(1), cluster.Url(2), cluster.Url(3)], RequestTimeout = TimeSpan.FromSeconds(3), MeterFactory = meters.Factory });
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var seen = new List<S2StreamRecord>();
        await using var records = follower.FollowRecordsAsync(Basin, "feed", new S2ReadOptions { SeqNum = 1 }, stop.Token).GetAsyncEnumerator(stop.Token);
        for (var i = 0; i < 2; i++)
        {
            (await records.MoveNextAsync()).Should().BeTrue();
            seen.Add(records.Current);
        }

        await cluster.Member(1).KillAsync();
        await using (var writer = new KvClient(new KvClientOptions { Endpoints = [cluster.Url(2), cluster.Url(3)] }))
        {
            // match_seq_num makes each append safe to retry while the cluster elects a new leader.
            for (var next = 3L; next < 8; next++)
                await AppendOnceAsync(writer, next, $"after {next}");
        }

        while (seen.Count < 7)
        {
            (await records.MoveNextAsync()).Should().BeTrue();
            seen.Add(records.Current);
        }

        seen.Select(static r => r.SeqNum).Should().Equal(1, 2, 3, 4, 5, 6, 7);
        seen[0].BodyAsString().Should().Be("before 1");
        seen[0].Headers.Single().ValueAsString().Should().Be("1");
        seen[^1].BodyAsString().Should().Be("after 7");
        meters.Total("kvdb.client.watch.reconnects").Should().BeGreaterThan(0, "the follow lost its member and resumed on another");
    }

    // Appends one record at `seqNum`; a retry that finds its own earlier try applied counts as done.
    private static async Task AppendOnceAsync(KvClient writer, long seqNum, string body)
    {
        try
        {
            await writer.AppendRecordsAsync(Basin, "feed", new S2AppendRecord(body), new S2AppendOptions { MatchSeqNum = seqNum });
        }
        catch (S2SeqNumMismatchException e) when (e.Retried && e.ExpectedSeqNum == seqNum + 1)
        {
        }
    }
}
