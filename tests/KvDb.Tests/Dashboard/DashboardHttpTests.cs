// The dashboard's files and reads over plain HTTP: served from the executable with the security
// headers and ETags, /ui redirected to /ui/, unknown files a 404 problem, keys under ui/ not
// writable at the root path, the session and the cluster overview answering with auth off and on,
// /v1/activity counting reads and writes, and its overview /ui/api/activity.
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace KvDb.Tests.Dashboard;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class DashboardHttpTests : IAsyncLifetime
{
    private KvdbCluster cluster = null!;

    public async Task InitializeAsync()
    {
        cluster = await KvdbCluster.StartAsync(1, "--in-memory");
        await cluster.WaitUntilServingAsync();
    }

    public async Task DisposeAsync() => await cluster.DisposeAsync();

    private Uri Url(string path) => new(cluster.Url(1), path);

    [Fact]
    public async Task The_page_and_its_files_come_from_the_member_with_security_headers_and_etags()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using (var redirect = await client.GetAsync(Url("ui")))
        {
            redirect.StatusCode.Should().Be(HttpStatusCode.Found);
            redirect.Headers.Location!.ToString().Should().Be("/ui/");
        }

        using var page = await client.GetAsync(Url("ui/"));
        page.StatusCode.Should().Be(HttpStatusCode.OK);
        page.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        var html = await page.Content.ReadAsStringAsync();
        html.Should().Contain("<script type=\"module\" src=\"app.js\">").And.NotContain("http://").And.NotContain("https://");
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        csp.Should().Contain("script-src 'self'").And.Contain("frame-ancestors 'none'").And.NotContain("unsafe-inline");
        page.Headers.GetValues("X-Content-Type-Options").Single().Should().Be("nosniff");

        foreach (var file in new[] { "app.js", "api.js", "keys.js", "history.js", "lists.js", "coordination.js", "live.js", "cluster.js", "activity.js", "transfer.js", "access.js", "dom.js", "app.css", "icon.svg" })
        {
            using var asset = await client.GetAsync(Url("ui/" + file));
            asset.StatusCode.Should().Be(HttpStatusCode.OK, file);
            var etag = asset.Headers.ETag!;
            etag.IsWeak.Should().BeFalse();
            asset.Headers.CacheControl!.NoCache.Should().BeTrue();
            if (file.EndsWith(".js", StringComparison.Ordinal))
            {
                asset.Content.Headers.ContentType!.MediaType.Should().Be("text/javascript");
                (await asset.Content.ReadAsStringAsync()).Should().NotContain("innerHTML", "values are put into the page as text, never as markup");
            }

            using var again = new HttpRequestMessage(HttpMethod.Get, Url("ui/" + file));
            again.Headers.IfNoneMatch.Add(etag);
            using var notModified = await client.SendAsync(again);
            notModified.StatusCode.Should().Be(HttpStatusCode.NotModified, file);
        }

        using var missing = await client.GetAsync(Url("ui/nope.js"));
        missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
        missing.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");

        using var put = await client.PutAsync(Url("ui/x"), new StringContent("1"));
        ((int)put.StatusCode).Should().BeInRange(400, 499, "ui/ is the dashboard's path, not a key at the root");
    }

    [Fact]
    public async Task The_session_and_cluster_reads_follow_auth()
    {
        var session = JsonDocument.Parse(await cluster.Client.GetStringAsync(Url("ui/api/session"))).RootElement;
        session.GetProperty("root").GetBoolean().Should().BeTrue("everyone may do everything while auth is off");

        var overview = JsonDocument.Parse(await cluster.Client.GetStringAsync(Url("ui/api/cluster"))).RootElement;
        overview.GetProperty("members")[0].GetProperty("status").GetProperty("role").GetString().Should().Be("leader");

        await AsRoot.EnableAuthWithReaderAsync(cluster.Client, cluster.Url(1), "team-reader", "team/", "ann", "annpw");

        using (var anonymous = await cluster.Client.GetAsync(Url("ui/api/session")))
            anonymous.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        using (var page = await cluster.Client.GetAsync(Url("ui/")))
            page.StatusCode.Should().Be(HttpStatusCode.OK, "the page itself needs no permission");

        using var request = new HttpRequestMessage(HttpMethod.Get, Url("ui/api/session"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ann:annpw")));
        using var response = await cluster.Client.SendAsync(request);
        var ann = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        ann.GetProperty("user").GetString().Should().Be("ann");
        ann.GetProperty("root").GetBoolean().Should().BeFalse();
        ann.GetProperty("grants").EnumerateArray().Select(static g => (g.GetProperty("prefix").GetString(), g.GetProperty("access").GetString()))
            .Should().Equal(("team/", "read"));
    }

    [Fact]
    public async Task Activity_counts_the_members_reads_and_writes_and_needs_a_user_once_auth_is_on()
    {
        // The cluster's start wrote and read a probe key: count from what is there now.
        var before = await TotalsAsync();
        for (var i = 0; i < 3; i++)
            (await cluster.PutAsync(1, $"act/{i}", "v")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await cluster.Client.GetAsync(cluster.KeyUrl(1, "act/0"))).StatusCode.Should().Be(HttpStatusCode.OK);
        _ = await cluster.Client.GetStringAsync(Url("v1/status"));

        var activity = JsonDocument.Parse(await cluster.Client.GetStringAsync(Url("v1/activity?minutes=10"))).RootElement;
        activity.GetProperty("member").GetInt64().Should().Be(1);
        activity.GetProperty("intervalSeconds").GetInt32().Should().Be(5);
        var intervals = activity.GetProperty("intervals").EnumerateArray().ToList();
        intervals.Should().HaveCount(120);
        (await TotalsAsync()).Should().Be((before.Reads + 1, before.Writes + 3), "three puts and one GET of a key; /v1/status is no key-value read");
        intervals.Where(static i => i.GetProperty("writes").GetInt64() > 0)
            .Should().OnlyContain(static i => i.GetProperty("writeP99Ms").GetDouble() > 0);
        intervals.Where(static i => i.GetProperty("reads").GetInt64() == 0)
            .Should().OnlyContain(static i => i.GetProperty("readP50Ms").ValueKind == JsonValueKind.Null);

        foreach (var bad in new[] { "v1/activity?minutes=0", "v1/activity?minutes=11", "v1/activity?minutes=x", "ui/api/activity?minutes=-1" })
        {
            using var refused = await cluster.Client.GetAsync(Url(bad));
            refused.StatusCode.Should().Be(HttpStatusCode.BadRequest, bad);
            refused.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        }

        var overview = JsonDocument.Parse(await cluster.Client.GetStringAsync(Url("ui/api/activity"))).RootElement;
        overview.GetProperty("answeredBy").GetInt64().Should().Be(1);
        var member = overview.GetProperty("members")[0];
        member.GetProperty("id").GetInt64().Should().Be(1);
        member.GetProperty("activity").GetProperty("intervals").GetArrayLength().Should().Be(60, "five minutes by default");

        await AsRoot.EnableAuthWithReaderAsync(cluster.Client, cluster.Url(1), "team-reader", "team/", "ann", "annpw");
        foreach (var path in new[] { "v1/activity", "ui/api/activity" })
        {
            using (var anonymous = await cluster.Client.GetAsync(Url(path)))
                anonymous.StatusCode.Should().Be(HttpStatusCode.Unauthorized, path);
            using var request = new HttpRequestMessage(HttpMethod.Get, Url(path));
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ann:annpw")));
            using var response = await cluster.Client.SendAsync(request);
            response.StatusCode.Should().Be(HttpStatusCode.OK, $"{path}: counts are no key's data, so any user may read them");
        }
    }

    private async Task<(long Reads, long Writes)> TotalsAsync()
    {
        var intervals = JsonDocument.Parse(await cluster.Client.GetStringAsync(Url("v1/activity?minutes=10"))).RootElement.GetProperty("intervals").EnumerateArray().ToList();
        return (intervals.Sum(static i => i.GetProperty("reads").GetInt64()), intervals.Sum(static i => i.GetProperty("writes").GetInt64()));
    }
}
