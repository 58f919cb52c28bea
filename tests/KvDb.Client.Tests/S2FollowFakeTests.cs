// FollowRecordsAsync against a fake member speaking S2's Server-Sent Events: a broken stream is
// reopened with Last-Event-ID (the id of the last batch yielded), records the member sends again
// are dropped, pings are skipped, [DONE] ends the enumeration, and an error event ends it with
// the error as an exception, except a first 401 event, after which the follow is reopened.
using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Http;

namespace KvDb.Client.Tests;

public sealed class S2FollowFakeTests
{
    private static string Batch(params (long Seq, string Body)[] records)
        => "{\"records\":[" + string.Join(",", records.Select(static r => $"{{\"seq_num\":{r.Seq},\"timestamp\":1700000000000,\"body\":\"{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(r.Body))}\"}}")) + "]}";

    private static async Task EventAsync(HttpContext context, string text)
    {
        await context.Response.WriteAsync(text);
        await context.Response.Body.FlushAsync();
    }

    [Fact]
    public async Task A_broken_follow_resumes_with_Last_Event_ID_drops_records_sent_again_and_ends_at_DONE()
    {
        var resumes = new ConcurrentQueue<string>();
        var connections = 0;
        await using var member = await FakeMember.StartAsync(async context =>
        {
            resumes.Enqueue(context.Request.Headers["Last-Event-ID"].ToString());
            context.Request.Headers.Accept.ToString().Should().Be("text/event-stream");
            context.Request.Headers["s2-format"].ToString().Should().Be("base64");
            context.Response.ContentType = "text/event-stream";
            if (Interlocked.Increment(ref connections) == 1)
            {
                await EventAsync(context, "event: batch\nid: 1,2,20\ndata: " + Batch((0, "a"), (1, "b")) + "\n\n");
                await EventAsync(context, "event: ping\ndata: {\"timestamp\":1700000000000,\"tail\":{\"seq_num\":2,\"timestamp\":1700000000000}}\n\n");
                return; // The body ends without [DONE]: the stream broke.
            }

            // A member that resumes one record early: the client must not yield it twice.
            await EventAsync(context, "event: batch\nid: 2,3,30\ndata: " + Batch((1, "b"), (2, "c")) + "\n\n");
            await EventAsync(context, "data: [DONE]\n\n");
        });
        await using var client = new KvClient(new KvClientOptions { Endpoints = [member.Url], RequestTimeout = TimeSpan.FromSeconds(5), RetryDelay = TimeSpan.FromMilliseconds(20) });

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var records = await client.FollowRecordsAsync("basin-one", "s", new S2ReadOptions { SeqNum = 0 }, stop.Token).ToListAsync(stop.Token);

        records.Select(static r => (r.SeqNum, r.BodyAsString())).Should().Equal((0L, "a"), (1L, "b"), (2L, "c"));
        resumes.Should().Equal("", "1,2,20");
        member.Requests.Select(static r => r.Target).Should().AllBe("/v1/streams/s/records?seq_num=0");
    }

    [Fact]
    public async Task An_error_event_ends_a_follow_with_the_error()
    {
        await using var member = await FakeMember.StartAsync(async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await EventAsync(context, "event: batch\nid: 0,1,10\ndata: " + Batch((0, "a")) + "\n\n");
            await EventAsync(context, "event: error\ndata: {\"type\":\"about:blank\",\"title\":\"Forbidden\",\"status\":403,\"detail\":\"access revoked\",\"code\":\"permission_denied\",\"message\":\"access revoked\"}\n\n");
        });
        await using var client = new KvClient(new KvClientOptions { Endpoints = [member.Url] });

        var seen = new List<long>();
        var ended = await FluentActions.Awaiting(async () =>
        {
            await foreach (var record in client.FollowRecordsAsync("basin-one", "s"))
                seen.Add(record.SeqNum);
        }).Should().ThrowAsync<KvException>();
        ended.Which.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        ended.Which.Detail.Should().Be("access revoked");
        seen.Should().Equal(0);
        member.Requests.Should().ContainSingle("an error event is an answer, not a lost connection");
    }

    [Fact]
    public async Task A_401_event_reopens_the_follow_once_and_a_second_in_a_row_ends_it()
    {
        const string Unauthenticated = "event: error\ndata: {\"type\":\"about:blank\",\"title\":\"Unauthorized\",\"status\":401,\"detail\":\"token revoked\",\"code\":\"unauthenticated\"}\n\n";
        var connections = 0;
        await using var member = await FakeMember.StartAsync(async context =>
        {
            context.Response.ContentType = "text/event-stream";
            switch (Interlocked.Increment(ref connections))
            {
                case 1:
                    await EventAsync(context, "event: batch\nid: 0,1,10\ndata: " + Batch((0, "a")) + "\n\n" + Unauthenticated);
                    break;
                case 2:
                    await EventAsync(context, "event: batch\nid: 1,2,20\ndata: " + Batch((1, "b")) + "\n\n" + Unauthenticated);
                    break;
                default:
                    await EventAsync(context, Unauthenticated);
                    break;
            }
        });
        await using var client = new KvClient(new KvClientOptions { Endpoints = [member.Url] });

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new List<long>();
        var ended = await FluentActions.Awaiting(async () =>
        {
            await foreach (var record in client.FollowRecordsAsync("basin-one", "s", new S2ReadOptions { SeqNum = 0 }, stop.Token))
                seen.Add(record.SeqNum);
        }).Should().ThrowAsync<KvException>();
        ended.Which.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        seen.Should().Equal(0, 1);
        connections.Should().Be(3, "a 401 after a record reopens; two in a row with nothing between end the follow");
    }
}
