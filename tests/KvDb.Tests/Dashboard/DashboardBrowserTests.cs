// The dashboard in a real browser (headless chromium) against a three-member cluster: browsing
// and searching keys, an edit that meets a concurrent write (the conflict is shown, the other
// write survives), a change appearing without a reload, the cluster view after the leader is
// killed, and a user granted one prefix seeing only that prefix, read-only.
// Each test saves screenshots to the test output directory (dashboard-screenshots/) and fails on
// any console error it did not provoke.
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using OpenQA.Selenium;
using Xunit.Abstractions;

namespace KvDb.Tests.Dashboard;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class DashboardBrowserTests(ITestOutputHelper output) : IAsyncLifetime
{
    private KvdbCluster cluster = null!;
    private DashboardBrowser? browser;

    public async Task InitializeAsync()
    {
        if (DashboardBrowser.Unavailable is null)
            cluster = await KvdbCluster.StartAsync(3, "--in-memory");
    }

    public async Task DisposeAsync()
    {
        browser?.Dispose();
        if (cluster is not null)
            await cluster.DisposeAsync();
    }

    private DashboardBrowser Browser()
    {
        Skip.If(DashboardBrowser.Unavailable is not null, DashboardBrowser.Unavailable);
        return browser = DashboardBrowser.Start();
    }

    private static By Row(string key) => By.CssSelector($"#keys-table tr[data-key='{key}']");

    private static By Group(string prefix) => By.CssSelector($"#keys-table tr[data-prefix='{prefix}']");

    private async Task PutAllAsync(params string[] keys)
    {
        foreach (var key in keys)
            await cluster.PutWithRetryAsync(1, key, "v-" + key);
    }

    [SkippableFact]
    public async Task Keys_are_browsed_as_a_tree_with_counts_paged_and_searched_on_the_server()
    {
        var web = Browser();
        await cluster.WaitUntilServingAsync();
        await PutAllAsync("app/a", "app/b", "app/c/x", "app/c/y", "app/c/z", "other/q", "top");
        for (var i = 0; i < 105; i++)
            await cluster.PutWithRetryAsync(2, $"bulk/{i:D3}", "x");

        web.Open(new Uri(cluster.Url(2), "ui/"));
        web.Visible(Group("app/"), "the app/ prefix").Text.Should().Contain("5 keys");
        web.Visible(Group("bulk/"), "the bulk/ prefix").Text.Should().Contain("105 keys");
        web.Visible(Row("top"), "the key 'top'");
        web.Screenshot("keys-root");

        // The first load, reported (not asserted): bytes of the page and its files, and the time
        // from navigation to the first list of keys shown.
        var measured = (IReadOnlyList<object>)((IJavaScriptExecutor)web.Driver).ExecuteScript(
            "const n = performance.getEntriesByType('navigation')[0]; const r = performance.getEntriesByType('resource');"
            + "return [n.transferSize + r.reduce((s, e) => s + e.transferSize, 0), n.encodedBodySize + r.filter(e => e.name.includes('/ui/')).reduce((s, e) => s + e.encodedBodySize, 0),"
            + " performance.getEntriesByName('kvdb:keys-shown')[0].startTime, n.domInteractive];")!;
        output.WriteLine($"first load: transferred {measured[0]} bytes (dashboard files {measured[1]} bytes), keys shown at {measured[2]} ms, DOM interactive at {measured[3]} ms");

        web.Driver.FindElement(Group("app/")).FindElement(By.TagName("a")).Click();
        web.Visible(Group("app/c/"), "app/c/ under app/").Text.Should().Contain("3 keys");
        web.Visible(Row("app/a"), "app/a under app/");

        var search = web.Driver.FindElement(By.Id("search"));
        search.SendKeys("c/y");
        web.Driver.FindElement(By.Id("search-button")).Click();
        web.Until(d =>
        {
            var rows = d.FindElements(By.CssSelector("#keys-table tbody tr"));
            return rows.Count == 1 && rows[0].GetDomAttribute("data-key") == "app/c/y" && d.Url.Contains("q=c%2Fy", StringComparison.Ordinal) ? rows : null;
        }, "only app/c/y to match the substring search 'c/y'");
        web.Screenshot("keys-search");

        // A prefix larger than a page: the first 100, then the rest on demand.
        web.Open(new Uri(cluster.Url(3), "ui/#/keys?p=bulk%2F"));
        web.Until(d => d.FindElements(By.CssSelector("#keys-table tbody tr")).Count == 100 ? "" : null, "the first page of 100 bulk/ keys");
        web.Visible(By.Id("more"), "the Load more button").Click();
        web.Until(d => d.FindElements(By.CssSelector("#keys-table tbody tr")).Count == 105 && !d.FindElement(By.Id("more")).Displayed ? "" : null, "all 105 bulk/ keys");

        // A key's value, type and revision.
        web.Open(new Uri(cluster.Url(1), "ui/#/key?k=app%2Fa"));
        web.Visible(By.Id("value"), "app/a's value").Text.Should().Be("v-app/a");
        web.Driver.FindElement(By.Id("meta-type")).Text.Should().Be("text");
        long.Parse(web.Driver.FindElement(By.Id("meta-revision")).Text, System.Globalization.CultureInfo.InvariantCulture).Should().BePositive();
        web.Screenshot("key-value");
        web.ShouldHaveNoConsoleErrors();
    }

    [SkippableFact]
    public async Task An_edit_that_meets_a_concurrent_write_shows_the_conflict_and_overwrites_nothing()
    {
        var web = Browser();
        await cluster.WaitUntilServingAsync();
        await cluster.PutWithRetryAsync(1, "app/conf", "one");

        web.Open(new Uri(cluster.Url(1), "ui/#/key?k=app%2Fconf&edit=1"));
        var editor = web.Visible(By.Id("value-editor"), "the value editor");
        editor.Clear();
        editor.SendKeys("mine");

        // Someone else writes the key through another member while the edit is open.
        (await cluster.PutAsync(3, "app/conf", "theirs")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        web.Visible(By.Id("changed"), "the notice that the key changed while editing");

        web.Driver.FindElement(By.Id("save")).Click();
        var conflict = web.Visible(By.Id("conflict"), "the conflict message");
        conflict.Text.Should().Contain("Not saved");
        web.Driver.FindElement(By.Id("conflict-value")).Text.Should().Be("theirs");
        web.Driver.FindElement(By.Id("value-editor")).GetDomProperty("value").Should().Be("mine", "the user's edit is kept");
        web.Screenshot("key-conflict");

        (await cluster.GetAsync(2, "app/conf")).Should().Be("theirs", "the concurrent write is never overwritten");
        web.ShouldHaveNoConsoleErrors(412);
    }

    [SkippableFact]
    public async Task A_change_to_the_open_prefix_appears_without_a_reload()
    {
        var web = Browser();
        await cluster.WaitUntilServingAsync();
        await PutAllAsync("live/a", "live/sub/1");

        web.Open(new Uri(cluster.Url(2), "ui/#/keys?p=live%2F"));
        web.Visible(Row("live/a"), "live/a");
        web.Until(d => d.FindElement(By.Id("live")).GetDomAttribute("data-state") == "live" ? "" : null, "the live state");

        await cluster.PutWithRetryAsync(3, "live/b", "new");
        await cluster.PutWithRetryAsync(1, "live/sub/2", "new");
        await cluster.PutWithRetryAsync(1, "live/a", "changed");
        web.Visible(Row("live/b"), "live/b, written after the page loaded");
        web.Until(d => d.FindElement(Group("live/sub/")).Text.Contains("2 keys", StringComparison.Ordinal) ? "" : null, "live/sub/ counting 2 keys");
        web.Until(d => d.FindElement(Row("live/a")).GetDomAttribute("class") == "changed" ? "" : null, "live/a marked changed");
        web.Screenshot("keys-live");

        (await cluster.Client.DeleteAsync(new Uri(cluster.Url(1), "v1/kv/live/b"))).StatusCode.Should().Be(HttpStatusCode.NoContent);
        web.Until(d => d.FindElements(Row("live/b")).Count == 0 ? "" : null, "live/b gone after its delete");
        web.ShouldHaveNoConsoleErrors();
    }

    [SkippableFact]
    public async Task The_cluster_view_shows_the_new_leader_after_the_leader_is_killed()
    {
        var web = Browser();
        var leader = await cluster.WaitForLeaderAsync();
        var viewer = leader == 1 ? 2 : 1;

        web.Open(new Uri(cluster.Url(viewer), "ui/#/cluster"));
        web.Until(d => d.FindElements(By.CssSelector("#members tbody tr")).Count == 3 ? "" : null, "three members");
        web.Until(d => d.FindElement(By.CssSelector($"#members tr[data-member='{leader}']")).GetDomAttribute("class") == "leader" ? "" : null, $"member {leader} highlighted as leader");
        web.Screenshot("cluster");

        await cluster.Member(leader).KillAsync();
        var next = await cluster.WaitForLeaderAsync(except: leader);
        web.Until(d => d.FindElement(By.CssSelector($"#members tr[data-member='{next}']")).GetDomAttribute("class") == "leader"
            && d.FindElement(By.CssSelector($"#members tr[data-member='{leader}']")).GetDomAttribute("class") == "down" ? "" : null,
            $"member {next} as leader and member {leader} as down");
        web.Driver.FindElement(By.CssSelector($"#members tr[data-member='{next}'] td.role")).Text.Should().Contain("leader");
        web.Screenshot("cluster-after-leader-killed");
        web.ShouldHaveNoConsoleErrors();
    }

    [SkippableFact]
    public async Task A_user_granted_one_prefix_logs_in_and_sees_only_that_prefix_read_only()
    {
        var web = Browser();
        await cluster.WaitUntilServingAsync();
        await PutAllAsync("team/x", "secret/y");
        await AsRoot.EnableAuthWithReaderAsync(cluster.Client, cluster.Url(1), "team-reader", "team/", "ann", "annpw");

        // The browser goes to member 2, which may apply the enable a moment after member 1 did.
        await Eventually.WaitUntilAsync(
            async () => (await cluster.Client.GetStringAsync(new Uri(cluster.Url(2), "v1/auth/status"))).Contains("\"enabled\":true", StringComparison.Ordinal),
            "member 2 to have applied auth enable", KvdbCluster.Patience);

        web.Open(new Uri(cluster.Url(2), "ui/"));
        web.Visible(By.Id("login-name"), "the login form").SendKeys("ann");
        web.Driver.FindElement(By.Id("login-password")).SendKeys("annpw");
        web.Screenshot("login");
        web.Driver.FindElement(By.Id("login-button")).Click();

        web.Visible(By.CssSelector("#grants a.grant"), "the prefixes ann may read").Text.Should().Be("team/");
        web.Driver.FindElement(By.Id("who")).Text.Should().Contain("ann");
        web.Driver.Url.Should().NotContain("annpw").And.NotContain("kvdb1", "the token never goes into a URL");
        web.Driver.FindElement(By.CssSelector("#grants a.grant")).Click();
        web.Visible(Row("team/x"), "team/x");
        web.Driver.FindElements(By.Id("new-key-link")).Should().BeEmpty("ann may not write");
        web.Screenshot("restricted-user");

        web.Open(new Uri(cluster.Url(2), "ui/#/key?k=team%2Fx"));
        web.Visible(By.Id("read-only"), "the read-only note");
        web.Driver.FindElements(By.Id("edit")).Should().BeEmpty();

        web.Open(new Uri(cluster.Url(2), "ui/#/keys?p=secret%2F"));
        web.Visible(By.Id("grants"), "ann's prefixes instead of secret/");
        web.Driver.FindElements(Row("secret/y")).Should().BeEmpty();
        web.Open(new Uri(cluster.Url(2), "ui/#/key?k=secret%2Fy"));
        web.Visible(By.Id("forbidden"), "a clear 403 for secret/y").Text.Should().Contain("Not allowed");
        web.PageText().Should().NotContain("v-secret/y");
        web.ShouldHaveNoConsoleErrors(403);
    }
}
