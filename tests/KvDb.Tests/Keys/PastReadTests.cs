// Reads of the past on real members: a key at several revisions across deletes and re-creates
// (on a follower too), a range at a revision that stays one consistent state over pages while
// writes go on, 410 with compactRevision past the history, a future revision (400 local, waited
// for linearizable), a key's history paged newest first, and a user with a prefix grant denied
// another prefix's past values and history.
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace KvDb.Tests.Keys;

public sealed class PastReadFixture : IAsyncLifetime
{
    public KvdbCluster Cluster { get; private set; } = null!;

    // A tiny window and floor, so that the history can be cut within a test.
    public async Task InitializeAsync() => Cluster = await KvdbCluster.StartAsync(3, "--in-memory", "--watch-history", "1s", "--watch-history-floor", "200");

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class PastReadTests(PastReadFixture fixture) : IClassFixture<PastReadFixture>
{
    private KvdbCluster Cluster => fixture.Cluster;

    private Uri Url(int member, string path) => new(Cluster.Url(member), path);

    private async Task<long> PutAsync(int member, string key, string value)
    {
        using var response = await Cluster.Client.PutAsync(Url(member, "v1/kv/" + key), new StringContent(value, Encoding.UTF8));
        response.StatusCode.Should().Be(HttpStatusCode.NoContent, await response.Content.ReadAsStringAsync());
        return long.Parse(response.Headers.GetValues("X-Kvdb-Revision").Single(), CultureInfo.InvariantCulture);
    }

    private async Task<long> DeleteAsync(int member, string key)
    {
        using var response = await Cluster.Client.DeleteAsync(Url(member, "v1/kv/" + key));
        response.StatusCode.Should().Be(HttpStatusCode.NoContent, await response.Content.ReadAsStringAsync());
        return long.Parse(response.Headers.GetValues("X-Kvdb-Revision").Single(), CultureInfo.InvariantCulture);
    }

    // (status, value or problem body, ETag revision or 0)
    private async Task<(HttpStatusCode Status, string Body, long Revision)> GetAtAsync(int member, string key, long revision, string? more = null)
    {
        using var response = await Cluster.Client.GetAsync(Url(member, $"v1/kv/{key}?revision={revision}{more}"));
        var etag = response.Headers.ETag?.Tag;
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), etag is null ? 0 : long.Parse(etag.Trim('"'), CultureInfo.InvariantCulture));
    }

    private async Task<JsonElement> JsonAsync(int member, string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await Cluster.Client.GetAsync(Url(member, path));
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(expected, $"GET {path}: {body}");
        if (expected != HttpStatusCode.OK)
            response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    [Fact]
    public async Task A_key_reads_as_it_was_right_after_each_revision_across_deletes_and_re_creates()
    {
        var one = await PutAsync(1, "p1/k", "one");
        var two = await PutAsync(2, "p1/k", "two");
        var gone = await DeleteAsync(1, "p1/k");
        var other = await PutAsync(1, "p1/other", "x");
        var three = await PutAsync(3, "p1/k", "three");

        foreach (var member in new[] { 1, 2, 3 })
        {
            (await GetAtAsync(member, "p1/k", one - 1)).Status.Should().Be(HttpStatusCode.NotFound, "before its first write");
            (await GetAtAsync(member, "p1/k", one)).Should().Be((HttpStatusCode.OK, "one", one));
            (await GetAtAsync(member, "p1/k", two)).Should().Be((HttpStatusCode.OK, "two", two));
            (await GetAtAsync(member, "p1/k", gone)).Status.Should().Be(HttpStatusCode.NotFound, "deleted");
            (await GetAtAsync(member, "p1/k", other)).Status.Should().Be(HttpStatusCode.NotFound, "still deleted");
            (await GetAtAsync(member, "p1/k", three)).Should().Be((HttpStatusCode.OK, "three", three), "re-created");
            (await GetAtAsync(member, "p1/other", three)).Should().Be((HttpStatusCode.OK, "x", other), "written before, unchanged since");
        }

        var page = await JsonAsync(2, $"v1/kv?prefix=p1/&revision={two}");
        page.GetProperty("revision").GetInt64().Should().Be(two);
        page.GetProperty("items").EnumerateArray().Select(static i => (i.GetProperty("key").GetString(), i.GetProperty("value").GetString(), i.GetProperty("revision").GetInt64()))
            .Should().Equal(("p1/k", "two", two));
    }

    [Fact]
    public async Task A_range_at_a_revision_is_one_consistent_state_over_its_pages_while_writes_go_on()
    {
        // Each transaction writes the same counter into all six keys: a consistent state has one value.
        var keys = Enumerable.Range(0, 6).Select(static i => $"p2/{i}").ToArray();
        async Task<long> WriteAllAsync(int n)
        {
            var body = JsonSerializer.Serialize(new { then = keys.Select(k => new { put = new { key = k, value = n.ToString(CultureInfo.InvariantCulture) } }) });
            using var response = await Cluster.Client.PostAsync(Url(1, "v1/txn"), new StringContent(body, Encoding.UTF8, "application/json"));
            response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("revision").GetInt64();
        }

        var first = await WriteAllAsync(0);
        using var stop = new CancellationTokenSource();
        var writes = 0;
        var writer = Task.Run(async () =>
        {
            for (var n = 1; !stop.IsCancellationRequested; n++)
            {
                await WriteAllAsync(n);
                writes = n;
            }
        });

        try
        {
            var checkedRevisions = 0;
            await Eventually.WaitUntilAsync(async () =>
            {
                // A revision somewhere in the writes so far, paged two keys at a time on a follower.
                var at = (await JsonAsync(2, "v1/kv?prefix=p2/&limit=1")).GetProperty("revision").GetInt64();
                var values = new List<string>();
                string? continuation = null;
                do
                {
                    var page = await JsonAsync(3, $"v1/kv?prefix=p2/&limit=2&revision={at}" + (continuation is null ? "" : "&continuation=" + Uri.EscapeDataString(continuation)));
                    page.GetProperty("revision").GetInt64().Should().Be(at);
                    values.AddRange(page.GetProperty("items").EnumerateArray().Select(static i => i.GetProperty("value").GetString()!));
                    continuation = page.GetProperty("continuation").GetString();
                }
                while (continuation is not null);

                values.Should().HaveCount(keys.Length);
                values.Distinct().Should().ContainSingle($"every key at revision {at} holds the same counter, but they hold {string.Join(",", values)}");
                return ++checkedRevisions >= 10 && Volatile.Read(ref writes) >= 10;
            }, "ten consistent ranges while the writer goes on", TimeSpan.FromSeconds(60), () => $"{checkedRevisions} ranges checked, {Volatile.Read(ref writes)} writes since revision {first}");
        }
        finally
        {
            await stop.CancelAsync();
            await writer;
        }
    }

    [Fact]
    public async Task A_revision_older_than_the_history_is_410_with_the_compacted_revision()
    {
        var first = await PutAsync(1, "p3/a", "0");

        // Past the 1 s window and beyond the floor of 200 revisions, the oldest are forgotten.
        await Eventually.WaitUntilAsync(async () =>
        {
            for (var i = 0; i < 50; i++)
                await PutAsync(1, "p3/a", i.ToString(CultureInfo.InvariantCulture));
            return (await GetAtAsync(1, "p3/a", first)).Status == HttpStatusCode.Gone;
        }, "the history to forget the first write", TimeSpan.FromSeconds(60));

        var problem = await JsonAsync(1, $"v1/kv/p3/a?revision={first}", HttpStatusCode.Gone);
        var compacted = problem.GetProperty("compactRevision").GetInt64();
        compacted.Should().BeGreaterThan(first);
        (await JsonAsync(1, $"v1/kv?prefix=p3/&revision={first}", HttpStatusCode.Gone)).GetProperty("compactRevision").GetInt64().Should().BeGreaterThanOrEqualTo(compacted);
        (await JsonAsync(1, $"v1/history/p3/a?before={first}", HttpStatusCode.Gone)).GetProperty("compactRevision").GetInt64().Should().BeGreaterThanOrEqualTo(compacted);
    }

    [Fact]
    public async Task A_revision_newer_than_the_members_state_is_400_for_local_reads_and_waited_for_by_linearizable_ones()
    {
        var written = await PutAsync(1, "p4/a", "1");
        var future = written + 1_000_000;
        var local = await JsonAsync(2, $"v1/kv/p4/a?revision={future}&consistency=local", HttpStatusCode.BadRequest);
        local.GetProperty("detail").GetString().Should().Contain("consistency=local");
        (await JsonAsync(2, $"v1/kv?prefix=p4/&revision={future}&consistency=local", HttpStatusCode.BadRequest)).GetProperty("revision").GetInt64().Should().BeLessThan(future);

        // The next revision does not exist yet: a linearizable read waits for it, and a write makes it.
        var applied = (await JsonAsync(2, "v1/kv?prefix=p4/")).GetProperty("revision").GetInt64();
        var waiting = Cluster.Client.GetAsync(Url(2, $"v1/kv/p4/a?revision={applied + 1}"));
        var next = await PutAsync(3, "p4/a", "2");
        using var answer = await waiting;
        answer.StatusCode.Should().Be(HttpStatusCode.OK, await answer.Content.ReadAsStringAsync());
        var expected = next == applied + 1 ? "2" : "1";
        (await answer.Content.ReadAsStringAsync()).Should().Be(expected);

        // One that never comes within --request-timeout is 400 too.
        (await JsonAsync(1, $"v1/kv/p4/a?revision={future}", HttpStatusCode.BadRequest)).GetProperty("detail").GetString().Should().Contain("request-timeout");
    }

    [Theory]
    [InlineData("v1/kv/p5/a?revision=x")]
    [InlineData("v1/kv/p5/a?revision=-1")]
    [InlineData("v1/kv/p5/a?revision=1&index=1")]
    [InlineData("v1/kv?prefix=p5/&revision=soon")]
    [InlineData("v1/history/p5/a?before=x")]
    [InlineData("v1/history/p5/a?limit=0")]
    [InlineData("v1/history/p5/a?limit=1001")]
    [InlineData("v1/history/p5/a?consistency=eventually")]
    public async Task Bad_parameters_are_400_problem_details(string path)
        => await JsonAsync(1, path, HttpStatusCode.BadRequest);

    [Fact]
    public async Task A_keys_history_pages_newest_first_with_before_and_keys_with_slashes_are_their_own()
    {
        var revisions = new List<long>();
        for (var i = 1; i <= 5; i++)
            revisions.Add(await PutAsync(1, "p6/a%2Fb", $"v{i}"));
        revisions.Add(await DeleteAsync(2, "p6/a%2Fb"));
        await PutAsync(1, "p6/a", "not the same key");
        await PutAsync(1, "p6/a/b/history", "nor this one");

        var changes = new List<JsonElement>();
        long? before = null;
        var pages = 0;
        do
        {
            var page = await JsonAsync(3, "v1/history/p6/a%2Fb?limit=2" + (before is null ? "" : $"&before={before}"));
            page.GetProperty("key").GetString().Should().Be("p6/a/b");
            changes.AddRange(page.GetProperty("items").EnumerateArray());
            before = page.GetProperty("before").ValueKind is JsonValueKind.Null ? null : page.GetProperty("before").GetInt64();
            pages++;
        }
        while (before is not null);

        pages.Should().Be(3);
        changes.Select(static c => c.GetProperty("revision").GetInt64()).Should().Equal(Enumerable.Reverse(revisions));
        changes[0].GetProperty("operation").GetString().Should().Be("delete");
        changes[0].TryGetProperty("value", out _).Should().BeFalse();
        changes.Skip(1).Select(static c => (c.GetProperty("operation").GetString(), c.GetProperty("value").GetString())).Should().Equal(("put", "v5"), ("put", "v4"), ("put", "v3"), ("put", "v2"), ("put", "v1"));
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        changes.Select(static c => c.GetProperty("timestamp").GetInt64()).Should().BeInDescendingOrder().And.OnlyContain(t => t > now - 600_000 && t < now + 600_000);

        // A put that attached a lease says which.
        using (var leased = await Cluster.Client.PutAsync(Url(1, "v1/kv/p6/leased?ttl=60s"), new StringContent("v", Encoding.UTF8)))
        {
            leased.StatusCode.Should().Be(HttpStatusCode.NoContent);
            var lease = long.Parse(leased.Headers.GetValues("X-Kvdb-Lease").Single(), CultureInfo.InvariantCulture);
            (await JsonAsync(2, "v1/history/p6/leased")).GetProperty("items")[0].GetProperty("lease").GetInt64().Should().Be(lease);
        }

        (await JsonAsync(1, "v1/history/p6/never")).GetProperty("items").GetArrayLength().Should().Be(0);
    }
}

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class PastReadAuthTests : IAsyncLifetime
{
    private KvdbCluster cluster = null!;

    public async Task InitializeAsync() => cluster = await KvdbCluster.StartAsync(1, "--in-memory");

    public async Task DisposeAsync() => await cluster.DisposeAsync();

    private static AuthenticationHeaderValue Basic(string user, string password)
        => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? body = null, AuthenticationHeaderValue? auth = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(cluster.Url(1), path));
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, body.StartsWith('{') ? "application/json" : "text/plain");
        request.Headers.Authorization = auth;
        return await cluster.Client.SendAsync(request);
    }

    private async Task ExpectAsync(HttpStatusCode expected, HttpMethod method, string path, string? body = null, AuthenticationHeaderValue? auth = null)
    {
        using var response = await SendAsync(method, path, body, auth);
        response.StatusCode.Should().Be(expected, $"{method} {path}: {await response.Content.ReadAsStringAsync()}");
        if ((int)expected >= 400)
            response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Fact]
    public async Task A_user_with_a_prefix_grant_reads_its_prefixs_past_and_history_but_not_anothers()
    {
        await ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "v1/auth/roles", """{"name": "team-a", "permissions": [{"prefix": "team-a/", "access": "read"}]}""");
        await ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "v1/auth/users", """{"name": "root", "password": "rootpw"}""");
        await ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "v1/auth/users", """{"name": "ann", "password": "annpw", "roles": ["team-a"]}""");
        await ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Put, "v1/kv/team-a/k", "a");
        long written;
        using (var put = await SendAsync(HttpMethod.Put, "v1/kv/team-b/k", "b"))
            written = long.Parse(put.Headers.GetValues("X-Kvdb-Revision").Single(), CultureInfo.InvariantCulture);
        await ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, "v1/auth/enable");

        var ann = Basic("ann", "annpw");
        await ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"v1/kv/team-a/k?revision={written}", auth: ann);
        await ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "v1/history/team-a/k", auth: ann);
        await ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"v1/kv?prefix=team-a/&revision={written}", auth: ann);

        await ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Get, "v1/history/team-b/k", auth: ann);
        await ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Get, $"v1/kv/team-b/k?revision={written}", auth: ann);
        await ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Get, $"v1/kv?prefix=team-b/&revision={written}", auth: ann);
        await ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Get, $"v1/kv?prefix=team-&revision={written}", auth: ann);
        await ExpectAsync(HttpStatusCode.Unauthorized, HttpMethod.Get, "v1/history/team-a/k");
        await ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "v1/history/team-b/k", auth: Basic("root", "rootpw"));
    }
}
