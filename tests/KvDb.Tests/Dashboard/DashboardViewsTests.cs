// The dashboard's second round of views in a real browser (headless chromium), one three-member
// cluster and one browser shared by the class: a key's history and past revisions (with a 410
// shown as a message). Each test fails on any console error it did not provoke.
// Invariants: tests use keys, keyspaces and names of their own, so they pass in any order on the
// shared cluster; the history window is short (--watch-history 1s, floor 60 revisions) so a
// revision can be pushed out of it by writing 60 more.
using System.Globalization;
using System.Net;
using OpenQA.Selenium;

namespace KvDb.Tests.Dashboard;

/// <summary>The cluster and browser the views tests share.</summary>
public sealed class DashboardViewsFixture : IAsyncLifetime
{
    /// <summary>The history floor the cluster runs with.</summary>
    public const int HistoryFloor = 60;

    private DashboardBrowser? browser;

    /// <summary>The cluster; null when no browser can run here.</summary>
    public KvdbCluster? Cluster { get; private set; }

    /// <summary>The shared browser, started on first use.</summary>
    public DashboardBrowser Browser => browser ??= DashboardBrowser.Start();

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        if (DashboardBrowser.Unavailable is not null)
            return;
        Cluster = await KvdbCluster.StartAsync(3, "--in-memory", "--watch-history", "1s", "--watch-history-floor", HistoryFloor.ToString(CultureInfo.InvariantCulture));
        await Cluster.WaitUntilServingAsync();
    }

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        browser?.Dispose();
        if (Cluster is not null)
            await Cluster.DisposeAsync();
    }
}

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class DashboardViewsTests(DashboardViewsFixture fixture) : IClassFixture<DashboardViewsFixture>
{
    private KvdbCluster Cluster => fixture.Cluster!;

    private DashboardBrowser Browser()
    {
        Skip.If(DashboardBrowser.Unavailable is not null, DashboardBrowser.Unavailable);
        var web = fixture.Browser;
        web.Console(); // what an earlier test left in the log is not this test's
        return web;
    }

    private static long Revision(HttpResponseMessage response)
        => long.Parse(response.Headers.GetValues("X-Kvdb-Revision").Single(), CultureInfo.InvariantCulture);

    private async Task<long> PutAsync(string key, string value)
    {
        using var response = await Cluster.PutAsync(1, key, value);
        response.StatusCode.Should().Be(HttpStatusCode.NoContent, await response.Content.ReadAsStringAsync());
        return Revision(response);
    }

    private static IReadOnlyList<string> Texts(IWebDriver driver, string css)
        => [.. driver.FindElements(By.CssSelector(css)).Select(static e => e.Text)];

    [SkippableFact]
    public async Task A_keys_history_pages_back_and_opens_past_revisions_and_an_old_one_is_a_clear_410()
    {
        var web = Browser();
        var first = await PutAsync("hist/k", "v0");
        for (var i = 1; i < 25; i++)
            await PutAsync("hist/k", $"v{i}");
        (await Cluster.Client.DeleteAsync(new Uri(Cluster.Url(1), "v1/kv/hist/k"))).StatusCode.Should().Be(HttpStatusCode.NoContent);
        var last = await PutAsync("hist/k", "back");

        web.Open(new Uri(Cluster.Url(2), "ui/#/key?k=hist%2Fk"));
        web.Visible(By.Id("value"), "hist/k's value").Text.Should().Be("back");
        web.Until(d => d.FindElements(By.CssSelector("#history tbody tr")).Count == 20 ? "" : null, "the first 20 changes");
        Texts(web.Driver, "#history tbody tr td.operation").Take(2).Should().Equal("put", "delete");
        web.Driver.FindElement(By.CssSelector("#history tbody tr")).GetDomAttribute("data-revision").Should().Be(last.ToString(CultureInfo.InvariantCulture));
        web.Screenshot("key-history");

        web.Driver.FindElement(By.Id("history-older")).Click();
        web.Until(d => d.FindElements(By.CssSelector("#history tbody tr")).Count == 27 && !d.FindElement(By.Id("history-older")).Displayed ? "" : null, "all 27 changes after paging back");
        Texts(web.Driver, "#history tbody tr td.history-value")[^1].Should().Be("v0");

        // The oldest change's revision link opens the key as it was then, read-only.
        web.Driver.FindElement(By.CssSelector($"#history tr[data-revision='{first}'] a")).Click();
        web.Visible(By.Id("at-note"), "the past-revision note").Text.Should().Contain($"revision {first}");
        web.Visible(By.Id("value"), "the value at the first revision").Text.Should().Be("v0");
        web.Driver.FindElements(By.Id("edit")).Should().BeEmpty("a past revision is read-only");

        // Pushed out of the history window (older than its 1 s, and more than 60 revisions old:
        // the history forgets only as new entries apply), the same revision is a clear message.
        await Eventually.WaitUntilAsync(
            async () =>
            {
                await Task.WhenAll(Enumerable.Range(0, 20).Select(i => PutAsync($"hist/fill/{i}", "x")));
                using var old = await Cluster.Client.GetAsync(new Uri(Cluster.Url(2), $"v1/kv/hist/k?revision={first}"));
                return old.StatusCode is HttpStatusCode.Gone;
            },
            $"revision {first} to leave member 2's history", TimeSpan.FromSeconds(60));
        web.Driver.Navigate().Refresh();
        web.Visible(By.Id("at-unavailable"), "the 410 message").Text.Should().Contain("older than the change history");
        web.Screenshot("key-at-revision-compacted");
        web.ShouldHaveNoConsoleErrors(410);
    }
}
