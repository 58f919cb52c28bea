// The S2 append's retry rule against fake members: S2 appends carry no idempotency key, so an
// append whose outcome is unknown (a 503 saying so, a connection lost after sending) is not
// sent again unless it carries match_seq_num; one that surely applied nothing (no connection,
// a 503 without outcomeUnknown) is. A match_seq_num append that meets its own earlier try
// fails with S2SeqNumMismatchException.Retried set.
using System.Net;
using Microsoft.AspNetCore.Http;

namespace KvDb.Client.Tests;

public sealed class S2RetryTests
{
    private const string Ack = """{"start":{"seq_num":7,"timestamp":1700000000000},"end":{"seq_num":8,"timestamp":1700000000000},"tail":{"seq_num":8,"timestamp":1700000000000}}""";

    private static KvClient NewClient(params Uri[] endpoints) => new(new KvClientOptions
    {
        Endpoints = endpoints,
        RequestTimeout = TimeSpan.FromSeconds(5),
        OperationTimeout = TimeSpan.FromSeconds(10),
        RetryDelay = TimeSpan.FromMilliseconds(20),
    });

    private static Task<FakeMember> HealthyAsync() => FakeMember.StartAsync(async context =>
    {
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(Ack);
    });

    private static readonly S2AppendRecord Record = new("r");

    [Fact]
    public async Task A_503_with_an_unknown_outcome_ends_an_append_without_match_seq_num_and_moves_one_with_it()
    {
        await using var doubtful = await FakeMember.StartAsync(context => FakeMember.ProblemAsync(context, 503, "Cluster unavailable", "leadership changed", "\"outcomeUnknown\":true"));
        await using var healthy = await HealthyAsync();
        await using (var client = NewClient(doubtful.Url, healthy.Url))
        {
            var failed = await FluentActions.Awaiting(() => client.AppendRecordsAsync("basin-one", "s", Record).AsTask()).Should().ThrowAsync<KvUnavailableException>();
            failed.Which.Message.Should().Contain("may or may not have been applied");
            doubtful.Requests.Should().ContainSingle();
            healthy.Requests.Should().BeEmpty("sending it again could append it twice");
        }

        await using (var client = NewClient(doubtful.Url, healthy.Url))
        {
            var ack = await client.AppendRecordsAsync("basin-one", "s", Record, new S2AppendOptions { MatchSeqNum = 7 });
            ack.Start.SeqNum.Should().Be(7);
            healthy.Requests.Should().ContainSingle("with match_seq_num a second copy cannot apply, so it is retried");
            healthy.Requests.Single().Target.Should().Be("/v1/streams/s/records");
        }
    }

    [Fact]
    public async Task A_connection_lost_after_sending_is_not_retried_without_match_seq_num_and_a_retry_that_meets_its_own_append_says_so()
    {
        await using var breaking = await FakeMember.StartAsync(async context =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null);
            context.Abort();
        });
        await using var mismatching = await FakeMember.StartAsync(context => FakeMember.ProblemAsync(context, 412, "Precondition Failed", "match_seq_num does not match", "\"code\":\"seq_num_mismatch\",\"seq_num_mismatch\":8"));
        await using (var client = NewClient(breaking.Url, mismatching.Url))
        {
            await FluentActions.Awaiting(() => client.AppendRecordsAsync("basin-one", "s", Record).AsTask()).Should().ThrowAsync<KvUnavailableException>();
            breaking.Requests.Should().ContainSingle();
            mismatching.Requests.Should().BeEmpty();
        }

        await using (var client = NewClient(breaking.Url, mismatching.Url))
        {
            var conflict = await FluentActions.Awaiting(() => client.AppendRecordsAsync("basin-one", "s", Record, new S2AppendOptions { MatchSeqNum = 7 }).AsTask())
                .Should().ThrowAsync<S2SeqNumMismatchException>();
            conflict.Which.ExpectedSeqNum.Should().Be(8);
            conflict.Which.Retried.Should().BeTrue("the first try may have appended the record the tail moved past");
            mismatching.Requests.Should().ContainSingle();
        }
    }

    [Fact]
    public async Task An_append_that_surely_applied_nothing_is_retried_on_another_member()
    {
        var closed = new Uri($"http://127.0.0.1:{FreePorts.Take(1)[0]}");
        await using var noLeader = await FakeMember.StartAsync(context => FakeMember.ProblemAsync(context, 503, "Cluster unavailable", "no leader", "\"outcomeUnknown\":false"));
        await using var healthy = await HealthyAsync();
        await using var client = NewClient(closed, noLeader.Url, healthy.Url);

        var ack = await client.AppendRecordsAsync("basin-one", "s", Record);
        ack.End.SeqNum.Should().Be(8);
        noLeader.Requests.Should().ContainSingle();
        healthy.Requests.Should().ContainSingle("a refused connection and a 503 without outcomeUnknown applied nothing");
    }

    [Fact]
    public async Task S2_errors_become_typed_exceptions_carrying_what_S2_answered()
    {
        await using var member = await FakeMember.StartAsync(context => context.Request.Path.Value switch
        {
            "/v1/streams/fenced/records" => FakeMember.ProblemAsync(context, 412, "Precondition Failed", "the fencing token does not match", "\"code\":\"fencing_token_mismatch\",\"fencing_token_mismatch\":\"owner-2\""),
            "/v1/streams/past/records" => FakeMember.ProblemAsync(context, 416, "Range Not Satisfiable", "past the tail", "\"code\":\"range_not_satisfiable\",\"tail\":{\"seq_num\":5,\"timestamp\":1700000000123}"),
            _ => FakeMember.ProblemAsync(context, 404, "Not Found", "stream `gone` in basin `basin-one` not found", "\"code\":\"stream_not_found\""),
        });
        await using var client = NewClient(member.Url);

        var fenced = await FluentActions.Awaiting(() => client.AppendRecordsAsync("basin-one", "fenced", Record, new S2AppendOptions { FencingToken = "owner-1" }).AsTask())
            .Should().ThrowAsync<S2FencingTokenMismatchException>();
        fenced.Which.ExpectedFencingToken.Should().Be("owner-2");
        var past = await FluentActions.Awaiting(() => client.ReadRecordsAsync("basin-one", "past", new S2ReadOptions { SeqNum = 9 }).AsTask())
            .Should().ThrowAsync<S2RangeNotSatisfiableException>();
        past.Which.Tail.Should().Be(new KvDb.Contracts.S2PositionJson(5, 1700000000123));
        var gone = await FluentActions.Awaiting(() => client.CheckTailAsync("basin-one", "gone").AsTask()).Should().ThrowAsync<KvException>();
        gone.Which.StatusCode.Should().Be(HttpStatusCode.NotFound);
        gone.Which.Detail.Should().Contain("not found");
    }
}
