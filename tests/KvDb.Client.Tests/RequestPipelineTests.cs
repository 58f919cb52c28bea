// The client against fake members: failover on 503 with the same Idempotency-Key, Retry-After
// keeping a busy member out of the rotation, unreachable members ending in
// KvUnavailableException, problem details becoming typed exceptions, and a stream's final error
// event (the member ended it: its caller lost access) becoming one too, except a 401 event, after
// which the stream is reopened with the client's own credentials.
using System.Net;
using Microsoft.AspNetCore.Http;

namespace KvDb.Client.Tests;

public sealed class RequestPipelineTests
{
    private static KvClient NewClient(TestMeters? meters, params Uri[] endpoints) => new(new KvClientOptions
    {
        Endpoints = endpoints,
        RequestTimeout = TimeSpan.FromSeconds(5),
        OperationTimeout = TimeSpan.FromSeconds(10),
        MeterFactory = meters?.Factory,
    });

    [Fact]
    public async Task A_503_moves_a_write_to_another_member_with_the_same_idempotency_key_and_Retry_After_keeps_the_busy_member_out()
    {
        await using var busy = await FakeMember.StartAsync(context =>
        {
            context.Response.Headers.RetryAfter = "30";
            return FakeMember.ProblemAsync(context, 503, "Cluster unavailable", "no leader", "\"outcomeUnknown\":true");
        });
        await using var healthy = await FakeMember.StartAsync(context =>
        {
            context.Response.StatusCode = 204;
            context.Response.Headers["X-Kvdb-Revision"] = "42";
            context.Response.Headers.ETag = "\"42\"";
            return Task.CompletedTask;
        });
        using var meters = new TestMeters();
        await using var client = NewClient(meters, busy.Url, healthy.Url);

        (await client.PutAsync("k", "v")).Should().Be(42);
        busy.Requests.Should().ContainSingle();
        healthy.Requests.Should().ContainSingle();
        busy.Requests.Single().IdempotencyKey.Should().NotBeNullOrEmpty().And.Be(healthy.Requests.Single().IdempotencyKey, "a retry is the same logical write");
        healthy.Requests.Single().Target.Should().Be("/v1/kv/k");
        meters.Total("kvdb.client.retries").Should().Be(1);
        meters.Total("kvdb.client.failovers").Should().Be(1);

        // The busy member asked for 30 s: the next writes go to the other member at once.
        (await client.PutAsync("k2", "v")).Should().Be(42);
        (await client.DeleteAsync("k3")).Should().Be(42);
        busy.Requests.Should().ContainSingle();
        healthy.Requests.Select(r => r.IdempotencyKey).Should().OnlyHaveUniqueItems("each logical write has its own key");
    }

    [Fact]
    public async Task Requests_go_over_HTTP2_with_prior_knowledge_unless_the_options_ask_for_HTTP11()
    {
        await using var member = await FakeMember.StartAsync(static context =>
        {
            context.Response.StatusCode = 204;
            context.Response.Headers["X-Kvdb-Revision"] = "7";
            return Task.CompletedTask;
        });
        await using (var client = NewClient(null, member.Url))
            (await client.PutAsync("k", "v")).Should().Be(7);
        await using (var client = new KvClient(new KvClientOptions { Endpoints = [member.Url], Http2 = false }))
            (await client.PutAsync("k", "v")).Should().Be(7);

        member.Protocols.Should().Equal(["HTTP/2", "HTTP/1.1"], "the default client shares a member's connection over h2c; Http2 = false keeps to HTTP/1.1");
    }

    [Fact]
    public async Task Members_that_refuse_connections_end_in_KvUnavailableException_with_the_writes_idempotency_key()
    {
        var closed = FreePorts.Take(2).Select(port => new Uri($"http://127.0.0.1:{port}")).ToArray();
        await using var client = new KvClient(new KvClientOptions { Endpoints = closed, OperationTimeout = TimeSpan.FromMilliseconds(500), RetryDelay = TimeSpan.FromMilliseconds(20) });

        var write = await FluentActions.Awaiting(() => client.PutAsync("k", "v", new KvWriteOptions { IdempotencyKey = "my-key-1" }).AsTask())
            .Should().ThrowAsync<KvUnavailableException>();
        write.Which.IdempotencyKey.Should().Be("my-key-1");
        write.Which.StatusCode.Should().Be((HttpStatusCode)0);
        write.Which.InnerException.Should().BeOfType<HttpRequestException>();
        write.Which.Message.Should().Contain("my-key-1");

        var read = await FluentActions.Awaiting(() => client.GetAsync("k").AsTask()).Should().ThrowAsync<KvUnavailableException>();
        read.Which.IdempotencyKey.Should().BeNull();
    }

    [Fact]
    public async Task Problem_details_become_typed_exceptions_with_status_title_and_detail()
    {
        await using var member = await FakeMember.StartAsync(context => context.Request.Path.Value switch
        {
            "/v1/kv/full" => FakeMember.ProblemAsync(context, 507, "Insufficient storage", "disk below --min-free-disk"),
            "/v1/kv/cas" => FakeMember.ProblemAsync(context, 412, "Precondition failed", "'cas' is at revision 9", "\"currentRevision\":9"),
            "/v1/watch" => FakeMember.ProblemAsync(context, 410, "Revision compacted", "read again", "\"compactRevision\":17"),
            _ => FakeMember.ProblemAsync(context, 403, "Forbidden", "no role grants it"),
        });
        await using var client = NewClient(null, member.Url);

        var full = await FluentActions.Awaiting(() => client.PutAsync("full", "v").AsTask()).Should().ThrowExactlyAsync<KvException>();
        full.Which.StatusCode.Should().Be(HttpStatusCode.InsufficientStorage);
        full.Which.Title.Should().Be("Insufficient storage");
        full.Which.Detail.Should().Be("disk below --min-free-disk");

        var cas = await FluentActions.Awaiting(() => client.PutAsync("cas", "v", KvWriteOptions.When(WriteCondition.RevisionIs(3))).AsTask()).Should().ThrowAsync<KvConditionFailedException>();
        cas.Which.CurrentRevision.Should().Be(9);
        cas.Which.Key.Should().Be("cas");
        member.Requests.Should().HaveCount(2, "answers other than 503 and 429 are not retried");

        var compacted = await FluentActions.Awaiting(async () =>
        {
            await foreach (var _ in client.WatchAsync("k", afterRevision: 3))
            {
            }
        }).Should().ThrowAsync<KvCompactedException>();
        compacted.Which.CompactRevision.Should().Be(17);
        compacted.Which.StatusCode.Should().Be(HttpStatusCode.Gone);

        (await FluentActions.Awaiting(() => client.GetAsync("secret").AsTask()).Should().ThrowExactlyAsync<KvException>()).Which.StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_watch_cut_in_the_middle_of_a_revision_resumes_on_another_member_without_a_gap_or_a_duplicate()
    {
        // The first member sends two of revision 5's three changes, then its stream ends.
        await using var first = await FakeMember.StartAsync(async context =>
        {
            context.Response.ContentType = "application/x-ndjson";
            await context.Response.WriteAsync("""
                {"type":"put","key":"p/a","value":"1","revision":5}
                {"type":"put","key":"p/b","value":"2","revision":5}
                {"type":"put","key":"p/c","val
                """);
        });
        await using var second = await FakeMember.StartAsync(async context =>
        {
            context.Response.ContentType = "application/x-ndjson";
            await context.Response.WriteAsync("""
                {"type":"put","key":"p/a","value":"1","revision":5}
                {"type":"put","key":"p/b","value":"2","revision":5}
                {"type":"put","key":"p/c","value":"3","revision":5}
                {"type":"delete","key":"p/a","revision":6}
                {"type":"progress","revision":9}

                """);
            await context.Response.Body.FlushAsync();
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        });
        using var meters = new TestMeters();
        await using var client = NewClient(meters, first.Url, second.Url);

        var events = new List<WatchEvent>();
        await foreach (var e in client.WatchAsync("p/", afterRevision: 4, new WatchOptions { Prefix = true, IncludeProgress = true }))
        {
            events.Add(e);
            if (e.Type is WatchEventType.Progress)
                break;
        }

        events.Select(e => e.ToString()).Should().Equal("put p/a@5", "put p/b@5", "put p/c@5", "delete p/a@6", "progress@9");
        events[2].ValueAsString().Should().Be("3");
        first.Requests.Single().Target.Should().Contain("after=4");
        second.Requests.Single().Target.Should().Contain("after=4", "revision 5 was cut short, so the watch resumes before it");
        meters.Total("kvdb.client.watch.reconnects").Should().Be(1);
    }

    [Fact]
    public async Task A_streams_error_event_ends_it_with_the_problem_as_a_KvException_and_a_401_event_reopens_it_first()
    {
        const string Forbidden = """{"type":"error","title":"Forbidden","status":403,"detail":"User 'mal' may no longer read every key this request covers"}""";
        const string Unauthorized = """{"type":"error","title":"Unauthorized","status":401,"detail":"User 'mal' changed (password or roles) after this request started"}""";
        var watches = 0;
        await using var member = await FakeMember.StartAsync(async context =>
        {
            context.Response.ContentType = "application/x-ndjson";
            var lines = context.Request.Path.Value switch
            {
                "/v1/watch" when Interlocked.Increment(ref watches) == 1 => """{"type":"put","key":"p/a","value":"1","revision":5}""" + "\n" + Unauthorized,
                "/v1/watch" => """{"type":"put","key":"p/b","value":"2","revision":6}""" + "\n" + Forbidden,
                "/v1/elections/m/observe" => """{"key":"_elections/m/1","value":"x","revision":3,"lease":1}""" + "\n" + Forbidden,
                _ => """{"offset":0,"value":"one"}""" + "\n" + Forbidden,
            };
            await context.Response.WriteAsync(lines + "\n");
        });
        await using var client = NewClient(null, member.Url);

        // Before error events were understood, each stream reopened for ever: fail instead of hanging.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new List<string>();
        var watch = await FluentActions.Awaiting(async () =>
        {
            await foreach (var e in client.WatchAsync("p/", afterRevision: 4, new WatchOptions { Prefix = true }, deadline.Token))
                seen.Add(e.ToString());
        }).Should().ThrowExactlyAsync<KvException>();
        watch.Which.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        watch.Which.Detail.Should().Contain("may no longer read");
        seen.Should().Equal("put p/a@5", "put p/b@6");
        member.Requests.Where(r => r.Target.StartsWith("/v1/watch", StringComparison.Ordinal)).Select(r => r.Target)
            .Should().HaveCount(2, "the 401 event reopened the watch once, the 403 event ended it")
            .And.OnlyContain(t => t.Contains("after=4", StringComparison.Ordinal), "it resumed where it was (revision 5 is not known to be complete)");
        seen.Clear();

        var follow = await FluentActions.Awaiting(async () =>
        {
            await foreach (var item in client.FollowListAsync("pub", "events", token: deadline.Token))
                seen.Add("item " + item.Offset);
        }).Should().ThrowExactlyAsync<KvException>();
        follow.Which.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        seen.Should().Equal("item 0");

        var observe = await FluentActions.Awaiting(async () =>
        {
            await foreach (var leader in client.ObserveAsync("m", deadline.Token))
                seen.Add("leader " + leader?.Key);
        }).Should().ThrowExactlyAsync<KvException>();
        observe.Which.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        seen.Should().Equal("item 0", "leader _elections/m/1");
        member.Requests.Should().HaveCount(4, "a 403 event ends the stream; it is not reopened");
    }
}
