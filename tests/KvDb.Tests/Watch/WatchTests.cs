// GET /v1/watch against real members: history then live changes in revision order, progress,
// exactly-once resumption on another member (after= and Last-Event-ID), prev values, typed
// values, filters, 410 for a compacted revision, and 400s for bad parameters.
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace KvDb.Tests.Watch;

public sealed class WatchFixture : IAsyncLifetime
{
    public KvdbCluster Cluster { get; private set; } = null!;

    // A tiny floor and window so that the history can be cut within a test.
    public async Task InitializeAsync() => Cluster = await KvdbCluster.StartAsync(3, "--in-memory", "--watch-history", "1s", "--watch-history-floor", "200");

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class WatchTests(WatchFixture fixture) : IClassFixture<WatchFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private KvdbCluster Cluster => fixture.Cluster;

    private sealed class Watch(HttpResponseMessage response, StreamReader reader) : IDisposable
    {
        public HttpResponseMessage Response => response;

        // The next JSON line (NDJSON) or data: line (SSE) with its id, within the deadline.
        public async Task<(JsonElement Event, string? Id)> NextAsync()
        {
            using var timeout = new CancellationTokenSource(Deadline);
            string? id = null;
            while (true)
            {
                var line = await reader.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException("the watch ended");
                if (line.Length == 0)
                    continue;
                if (line.StartsWith("id: ", StringComparison.Ordinal))
                {
                    id = line[4..];
                    continue;
                }

                var json = line.StartsWith("data: ", StringComparison.Ordinal) ? line[6..] : line;
                return (JsonDocument.Parse(json).RootElement.Clone(), id);
            }
        }

        // The next change, skipping progress events (a member may still be applying).
        public async Task<JsonElement> NextChangeAsync() => (await NextChangeWithIdAsync()).Event;

        public async Task<(JsonElement Event, string? Id)> NextChangeWithIdAsync()
        {
            while (true)
            {
                var next = await NextAsync();
                if (next.Event.GetProperty("type").GetString() != "progress")
                    return next;
            }
        }

        public void Dispose()
        {
            reader.Dispose();
            response.Dispose();
        }
    }

    private async Task<Watch> OpenAsync(int member, string query, string? lastEventId = null, bool sse = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Cluster.Url(member), "v1/watch?" + query));
        if (sse)
            request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null)
            request.Headers.Add("Last-Event-ID", lastEventId);
        var response = await Cluster.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.Should().Be(HttpStatusCode.OK, await ErrorOf(response));
        long.Parse(response.Headers.GetValues("X-Kvdb-Index").Single(), CultureInfo.InvariantCulture).Should().BeGreaterThanOrEqualTo(0, "a watch says the revision it starts after");
        return new Watch(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    private static async Task<string> ErrorOf(HttpResponseMessage response)
        => response.IsSuccessStatusCode ? "" : await response.Content.ReadAsStringAsync();

    private async Task<long> PutAsync(int member, string key, string value)
    {
        using var response = await Cluster.Client.PutAsync(new Uri(Cluster.Url(member), "v1/kv/" + key), new StringContent(value));
        response.StatusCode.Should().Be(HttpStatusCode.NoContent);
        return long.Parse(response.Headers.GetValues("X-Kvdb-Revision").Single(), CultureInfo.InvariantCulture);
    }

    private async Task<long> DeleteAsync(int member, string key)
    {
        using var response = await Cluster.Client.DeleteAsync(new Uri(Cluster.Url(member), "v1/kv/" + key));
        response.StatusCode.Should().Be(HttpStatusCode.NoContent);
        return long.Parse(response.Headers.GetValues("X-Kvdb-Revision").Single(), CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task History_then_live_changes_arrive_in_order_and_resume_exactly_once_on_another_member()
    {
        var r1 = await PutAsync(1, "w1/a", "1");
        var r2 = await PutAsync(2, "w1/b", "2");
        await PutAsync(1, "other", "x");

        using (var watch = await OpenAsync(2, $"prefix=w1/&after={r1 - 1}"))
        {
            var first = await watch.NextChangeAsync();
            first.GetProperty("key").GetString().Should().Be("w1/a");
            first.GetProperty("revision").GetInt64().Should().Be(r1);
            (await watch.NextChangeAsync()).GetProperty("revision").GetInt64().Should().Be(r2);

            var (progress, _) = await watch.NextAsync();
            progress.GetProperty("type").GetString().Should().Be("progress", "one progress event once history is sent");
            progress.GetProperty("revision").GetInt64().Should().BeGreaterThanOrEqualTo(r2);

            var r3 = await PutAsync(3, "w1/c", "3");
            var live = await watch.NextChangeAsync();
            live.GetProperty("key").GetString().Should().Be("w1/c");
            live.GetProperty("revision").GetInt64().Should().Be(r3);
        }

        // Reconnect to member 3 after the last revision seen: only what came later.
        var r4 = await DeleteAsync(1, "w1/a");
        var r5 = await PutAsync(1, "w1/d", "4");
        using var resumed = await OpenAsync(3, $"prefix=w1/&after={r4 - 1}");
        var deleted = await resumed.NextChangeAsync();
        deleted.GetProperty("type").GetString().Should().Be("delete");
        deleted.GetProperty("key").GetString().Should().Be("w1/a");
        deleted.GetProperty("revision").GetInt64().Should().Be(r4);
        (await resumed.NextChangeAsync()).GetProperty("revision").GetInt64().Should().Be(r5);
    }

    [Fact]
    public async Task Server_sent_events_carry_the_revision_as_id_and_resume_after_Last_Event_ID()
    {
        var r1 = await PutAsync(1, "w2/a", "1");
        var r2 = await PutAsync(1, "w2/a", "2");
        using (var watch = await OpenAsync(1, $"key=w2/a&after={r1 - 1}", sse: true))
        {
            watch.Response.Content.Headers.ContentType!.MediaType.Should().Be("text/event-stream");
            var (e, id) = await watch.NextChangeWithIdAsync();
            id.Should().Be(r1.ToString(CultureInfo.InvariantCulture));
            e.GetProperty("value").GetString().Should().Be("1");
        }

        using var resumed = await OpenAsync(2, "key=w2/a&after=0", lastEventId: r1.ToString(CultureInfo.InvariantCulture), sse: true);
        var (next, nextId) = await resumed.NextChangeWithIdAsync();
        nextId.Should().Be(r2.ToString(CultureInfo.InvariantCulture), "Last-Event-ID wins over after=");
        next.GetProperty("value").GetString().Should().Be("2");
    }

    [Fact]
    public async Task Prev_typed_values_and_filters()
    {
        var r1 = await PutAsync(1, "w3/a", "old");
        await PutAsync(1, "w3/a", "new");
        using (var s2 = await Cluster.Client.PutAsync(new Uri(Cluster.Url(1), "api"), new StringContent("""{"key": "w3/t", "value": {"UInt": 7}}""", Encoding.UTF8, "application/json")))
            s2.IsSuccessStatusCode.Should().BeTrue();
        await PutAsync(1, "w3/z", "outside");

        using var watch = await OpenAsync(2, $"start=w3/a&end=w3/u&after={r1}&prev=true");
        var replaced = await watch.NextChangeAsync();
        replaced.GetProperty("value").GetString().Should().Be("new");
        replaced.GetProperty("prevValue").GetString().Should().Be("old");
        replaced.GetProperty("prevRevision").GetInt64().Should().Be(r1);
        var typed = await watch.NextChangeAsync();
        typed.GetProperty("key").GetString().Should().Be("w3/t");
        typed.GetProperty("typed").GetBoolean().Should().BeTrue();
        var (progress, _) = await watch.NextAsync();
        progress.GetProperty("type").GetString().Should().Be("progress", "w3/z is outside the range");
    }

    [Fact]
    public async Task A_revision_older_than_the_history_is_410_with_the_compacted_revision()
    {
        var first = await PutAsync(1, "w4/a", "0");

        // Past the 1 s window and beyond the floor of 200 revisions, the oldest are forgotten.
        await Eventually.WaitUntilAsync(async () =>
        {
            for (var i = 0; i < 50; i++)
                await PutAsync(1, "w4/a", i.ToString(CultureInfo.InvariantCulture));
            using var response = await Cluster.Client.GetAsync(new Uri(Cluster.Url(1), $"v1/watch?key=w4/a&after={first - 1}"), HttpCompletionOption.ResponseHeadersRead);
            return response.StatusCode == HttpStatusCode.Gone;
        }, "the history to forget the first write", TimeSpan.FromSeconds(60));

        // The history only moves forward: asking again is still 410.
        using var gone = await Cluster.Client.GetAsync(new Uri(Cluster.Url(1), $"v1/watch?key=w4/a&after={first - 1}"), HttpCompletionOption.ResponseHeadersRead);
        gone.StatusCode.Should().Be(HttpStatusCode.Gone);
        gone.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        JsonDocument.Parse(await gone.Content.ReadAsStringAsync()).RootElement.GetProperty("compactRevision").GetInt64().Should().BeGreaterThanOrEqualTo(first);
    }

    [Fact]
    public async Task A_watch_after_a_ranges_revision_continues_where_the_range_left_off()
    {
        await PutAsync(1, "w5/a", "1");
        using var page = await Cluster.Client.GetAsync(new Uri(Cluster.Url(2), "v1/kv?prefix=w5/"));
        var read = JsonDocument.Parse(await page.Content.ReadAsStringAsync()).RootElement;
        var revision = read.GetProperty("revision").GetInt64();
        page.Headers.GetValues("X-Kvdb-Index").Single().Should().Be(revision.ToString(CultureInfo.InvariantCulture));
        read.GetProperty("items").GetArrayLength().Should().Be(1);

        var next = await PutAsync(3, "w5/b", "2");
        using var watch = await OpenAsync(1, $"prefix=w5/&after={revision}");
        var change = await watch.NextChangeAsync();
        change.GetProperty("key").GetString().Should().Be("w5/b");
        change.GetProperty("revision").GetInt64().Should().Be(next);
    }

    [Theory]
    [InlineData("")]
    [InlineData("key=a&prefix=b")]
    [InlineData("key=a&after=-1")]
    [InlineData("key=a&after=x")]
    [InlineData("key=a&prev=maybe")]
    [InlineData("key=a&progress=1ms")]
    [InlineData("key=a&progress=soon")]
    [InlineData("start=b&end=a")]
    public async Task Bad_parameters_are_400_problem_details(string query)
    {
        using var response = await Cluster.Client.GetAsync(new Uri(Cluster.Url(1), "v1/watch?" + query), HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }
}

// Consul-style blocking reads of one key.
[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class LongPollTests(WatchFixture fixture) : IClassFixture<WatchFixture>
{
    private KvdbCluster Cluster => fixture.Cluster;

    private async Task<long> IndexAfterGetAsync(int member, string key)
    {
        using var response = await Cluster.Client.GetAsync(new Uri(Cluster.Url(member), "v1/kv/" + key));
        return long.Parse(response.Headers.GetValues("X-Kvdb-Index").Single(), CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task A_blocking_read_wakes_on_a_write_and_on_a_delete()
    {
        (await Cluster.PutAsync(1, "lp/a", "1")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        var index = await IndexAfterGetAsync(2, "lp/a");

        var waiting = Cluster.Client.GetAsync(new Uri(Cluster.Url(2), $"v1/kv/lp/a?index={index}&wait=1m"));
        (await Task.WhenAny(waiting, Task.Delay(200))).Should().NotBe(waiting, "nothing has changed yet");
        (await Cluster.PutAsync(3, "lp/a", "2")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        using (var woken = await waiting.WaitAsync(TimeSpan.FromSeconds(30)))
        {
            woken.StatusCode.Should().Be(HttpStatusCode.OK);
            (await woken.Content.ReadAsStringAsync()).Should().Be("2");
            index = long.Parse(woken.Headers.GetValues("X-Kvdb-Index").Single(), CultureInfo.InvariantCulture);
        }

        var deleted = Cluster.Client.GetAsync(new Uri(Cluster.Url(1), $"v1/kv/lp/a?index={index}&wait=1m"));
        using (await Cluster.Client.DeleteAsync(new Uri(Cluster.Url(3), "v1/kv/lp/a")))
        {
        }

        using var gone = await deleted.WaitAsync(TimeSpan.FromSeconds(30));
        gone.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_blocking_read_without_a_change_answers_when_wait_runs_out()
    {
        (await Cluster.PutAsync(1, "lp/quiet", "q")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        var index = await IndexAfterGetAsync(1, "lp/quiet");
        using var response = await Cluster.Client.GetAsync(new Uri(Cluster.Url(1), $"v1/kv/lp/quiet?index={index}&wait=300ms"));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Be("q");
        long.Parse(response.Headers.GetValues("X-Kvdb-Index").Single(), CultureInfo.InvariantCulture).Should().BeGreaterThanOrEqualTo(index);
    }

    [Fact]
    public async Task The_log_follows_its_tail()
    {
        (await Cluster.PutAsync(1, "lp/log-before", "1")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        var from = await IndexAfterGetAsync(2, "lp/log-before") + 1;
        using var response = await Cluster.Client.GetAsync(new Uri(Cluster.Url(2), $"v1/log?from={from}&follow=true"), HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        (await Cluster.PutAsync(3, "lp/log-after", "2")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        string? line;
        do
        {
            line = await reader.ReadLineAsync(timeout.Token);
            line.Should().NotBeNull("the stream stays open while following");
        }
        while (!line!.Contains("lp/log-after", StringComparison.Ordinal));

        line.Should().NotContain("lp/log-before", "it starts at from=");

        using var bad = await Cluster.Client.GetAsync(new Uri(Cluster.Url(1), "v1/log?follow=maybe"));
        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("index=x")]
    [InlineData("index=-1")]
    [InlineData("index=1&wait=6m")]
    [InlineData("index=1&wait=later")]
    public async Task Bad_blocking_parameters_are_400(string query)
    {
        using var response = await Cluster.Client.GetAsync(new Uri(Cluster.Url(1), "v1/kv/lp/a?" + query));
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }
}
