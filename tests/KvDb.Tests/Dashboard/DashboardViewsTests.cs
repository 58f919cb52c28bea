// The dashboard's second round of views in a real browser (headless chromium), one three-member
// cluster and one browser shared by the class: a key's history and past revisions (with a 410
// shown as a message), lists (keyspaces, paging both ways, following the tail), and leases,
// locks and elections. Each test fails on any console error it did not provoke.
// Invariants: tests use keys, keyspaces and names of their own, so they pass in any order on the
// shared cluster; the history window is short (--watch-history 1s, floor 60 revisions) so a
// revision can be pushed out of it by writing 60 more.
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
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

    private async Task<string> SendAsync(HttpMethod method, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(Cluster.Url(1), path));
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await Cluster.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.Should().BeTrue($"{method} {path}: {text}");
        return text;
    }

    private static string Items(int from, int count)
        => "{\"items\": [" + string.Join(',', Enumerable.Range(from, count).Select(static i => $"{{\"value\": \"item {i}\"}}")) + "]}";

    private static IReadOnlyList<string> Offsets(IWebDriver driver)
        => [.. driver.FindElements(By.CssSelector("#items tbody tr")).Select(static e => e.GetDomAttribute("data-offset") ?? "")];

    private static Func<IWebDriver, string?> OffsetsAre(int first, int last)
        => d =>
        {
            var offsets = Offsets(d);
            return offsets.Count == last - first + 1 && offsets[0] == first.ToString(CultureInfo.InvariantCulture)
                && offsets[^1] == last.ToString(CultureInfo.InvariantCulture) ? "" : null;
        };

    [SkippableFact]
    public async Task Keyspaces_and_lists_are_listed_a_list_pages_both_ways_and_follows_its_tail()
    {
        var web = Browser();
        await SendAsync(HttpMethod.Put, "v1/keyspaces/dq");
        await SendAsync(HttpMethod.Post, "v1/lists/dq/orders", Items(0, 120));
        await SendAsync(HttpMethod.Post, "v1/lists/dq/other", Items(0, 1));

        web.Open(new Uri(Cluster.Url(3), "ui/#/lists"));
        var keyspace = web.Visible(By.CssSelector("#keyspaces tr[data-keyspace='dq']"), "keyspace dq");
        keyspace.Text.Should().Contain("2").And.Contain("121");
        keyspace.FindElement(By.TagName("a")).Click();
        web.Until(d => d.FindElements(By.CssSelector("#lists tbody tr")).Count == 2 ? "" : null, "dq's two lists");
        web.Driver.FindElement(By.CssSelector("#lists tr[data-list='orders']")).Text.Should().Contain("120");
        web.Screenshot("keyspace");

        // The newest page first, then back and forth by pages of 50.
        web.Driver.FindElement(By.CssSelector("#lists tr[data-list='orders'] a")).Click();
        web.Until(OffsetsAre(70, 119), "offsets 70 to 119, the newest page");
        web.Driver.FindElement(By.Id("items-earlier")).Click();
        web.Until(OffsetsAre(20, 69), "offsets 20 to 69");
        web.Driver.FindElement(By.Id("items-earlier")).Click();
        web.Until(OffsetsAre(0, 19), "offsets 0 to 19, the oldest");
        web.Driver.FindElement(By.Id("items-earlier")).Enabled.Should().BeFalse("nothing is older than offset 0");
        web.Driver.FindElement(By.Id("items-later")).Click();
        web.Until(OffsetsAre(20, 69), "offsets 20 to 69 again, paging forward");
        web.Driver.FindElement(By.Id("items-later")).Click();
        web.Until(OffsetsAre(70, 119), "offsets 70 to 119, paging forward");
        web.Driver.FindElement(By.Id("items-later")).Enabled.Should().BeFalse("offset 119 is the newest");

        // Followed at the tail: appended items appear without a reload.
        web.Driver.FindElement(By.Id("follow")).Click();
        web.Until(d => d.FindElement(By.Id("live")).Text == "following" ? "" : null, "the follow to be under way");
        await SendAsync(HttpMethod.Post, "v1/lists/dq/orders", Items(120, 2));
        web.Until(OffsetsAre(70, 121), "offsets 120 and 121, appended while following");
        web.Driver.FindElement(By.CssSelector("#items tr[data-offset='121'] td.item-value")).Text.Should().Be("item 121");
        web.Screenshot("list-follow");

        // Leaving the view ends the follow.
        web.Open(new Uri(Cluster.Url(3), "ui/#/cluster"));
        web.Until(d => d.FindElement(By.Id("live")).Text == "not live" ? "" : null, "the follow to have stopped");
        web.ShouldHaveNoConsoleErrors();
    }

    [SkippableFact]
    public async Task Leases_locks_and_elections_are_listed_with_their_details()
    {
        var web = Browser();
        var lease = JsonDocument.Parse(await SendAsync(HttpMethod.Post, "v1/leases", """{"ttl": "120s"}""")).RootElement.GetProperty("id").GetInt64();
        (await Cluster.Client.PutAsync(Cluster.KeyUrl(1, "coord/k", $"lease={lease}"), new StringContent("x"))).StatusCode.Should().Be(HttpStatusCode.NoContent);
        var held = JsonDocument.Parse(await SendAsync(HttpMethod.Post, "v1/locks/deploy?ttl=120s")).RootElement;
        using var stopWaiting = new CancellationTokenSource();
        using var waitClient = Cluster.NewClient(TimeSpan.FromMinutes(5));
        var waiter = waitClient.PostAsync(new Uri(Cluster.Url(2), "v1/locks/deploy?ttl=120s&timeout=120s"), null, stopWaiting.Token);
        await SendAsync(HttpMethod.Post, "v1/elections/pick/campaign", """{"value": "node-a", "ttl": "120s"}""");
        try
        {
            web.Open(new Uri(Cluster.Url(2), "ui/#/leases"));
            var row = web.Visible(By.CssSelector($"#leases tr[data-lease='{lease}']"), $"lease {lease}");
            row.FindElement(By.TagName("button")).Click();
            web.Until(d => d.FindElement(By.CssSelector($"#leases tr[data-lease='{lease}'] + tr .lease-keys")).Text == "coord/k" ? "" : null, "the lease's attached key");
            web.Screenshot("leases");

            web.Open(new Uri(Cluster.Url(2), "ui/#/locks"));
            web.Until(d => d.FindElement(By.CssSelector("#locks tr[data-name='deploy'] td.waiting")).Text == "1" ? "" : null, "deploy held, one waiting");
            web.Driver.FindElement(By.CssSelector("#locks tr[data-name='deploy'] td.holder")).Text.Should().Be(held.GetProperty("key").GetString());
            web.Screenshot("locks");

            web.Open(new Uri(Cluster.Url(2), "ui/#/elections"));
            web.Visible(By.CssSelector("#elections tr[data-name='pick'] td.leader-value"), "election pick's leader").Text.Should().Be("node-a");
            web.ShouldHaveNoConsoleErrors();
        }
        finally
        {
            await stopWaiting.CancelAsync();
            await waiter.ContinueWith(static t => { if (t.IsCompletedSuccessfully) t.Result.Dispose(); }, TaskScheduler.Default);
        }
    }

    private static long Count(IWebElement row, string what)
        => long.Parse(row.GetDomAttribute("data-" + what) ?? "0", CultureInfo.InvariantCulture);

    [SkippableFact]
    public async Task Activity_charts_show_each_members_writes_and_reads()
    {
        var web = Browser();
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => PutAsync($"activity/{i}", "x")));
        for (var i = 0; i < 10; i++)
            (await Cluster.GetAsync(1, $"activity/{i}")).Should().Be("x");

        web.Open(new Uri(Cluster.Url(2), "ui/#/activity"));
        web.Until(d => d.FindElements(By.CssSelector("#activity section.activity-member")).Count == 3 ? "" : null, "a section per member");

        // Member 1 served the 40 writes and 10 reads: once their interval is over (the refresh
        // every 5 s brings it), its summary counts them and its charts draw them.
        var row = By.CssSelector("#activity-summary tr[data-member='1']");
        web.Until(d => Count(d.FindElement(row), "writes") >= 40 && Count(d.FindElement(row), "reads") >= 10 ? "" : null, "member 1's 40 writes and 10 reads counted", TimeSpan.FromSeconds(60));
        web.Driver.FindElement(By.CssSelector("#activity-summary tr[data-member='1'] td.writes-rate")).Text.Should().NotBe("0.00");
        var writes = By.CssSelector("#activity section[data-member='1'] svg.chart-ops .series.writes");
        web.Driver.FindElements(writes).Should().NotBeEmpty("the writes are drawn");
        web.Driver.FindElements(By.CssSelector("#activity section[data-member='1'] svg.chart-latency .series.write-p99")).Should().NotBeEmpty("the writes' p99 is drawn");
        web.Driver.FindElements(By.CssSelector("#activity section[data-member='1'] svg.chart-latency .series.read-p50")).Should().NotBeEmpty("the reads' p50 is drawn");
        web.Driver.FindElement(By.CssSelector("#activity section[data-member='1'] svg.chart-ops title")).GetAttribute("textContent").Should().Contain("operations per second");
        web.Screenshot("activity");

        new OpenQA.Selenium.Support.UI.SelectElement(web.Driver.FindElement(By.Id("activity-minutes"))).SelectByValue("1");
        web.Until(d => d.Url.EndsWith("#/activity?minutes=1", StringComparison.Ordinal) && d.FindElements(writes).Count > 0 ? "" : null, "the one-minute window with the writes");
        web.ShouldHaveNoConsoleErrors();
    }

    private async Task<string> RangeAsync(string prefix)
    {
        var page = JsonDocument.Parse(await SendAsync(HttpMethod.Get, $"v1/kv?prefix={Uri.EscapeDataString(prefix)}&limit=1000")).RootElement;
        return string.Join('\n', page.GetProperty("items").EnumerateArray().Select(static i =>
            $"{i.GetProperty("key").GetString()}={(i.TryGetProperty("value", out var v) ? v.GetString() : "b64:" + i.GetProperty("valueBase64").GetString())}{(i.TryGetProperty("typed", out _) ? " (typed)" : "")}"));
    }

    [SkippableFact]
    public async Task A_prefix_exported_deleted_and_imported_comes_back_and_a_failed_batch_is_reported()
    {
        var web = Browser();
        await PutAsync("xfer/a", "alpha");
        await PutAsync("xfer/b/c", "γ text");
        using (var binary = await Cluster.Client.PutAsync(new Uri(Cluster.Url(1), "v1/kv/xfer%2Fbin"), new ByteArrayContent([0xff, 0x00, 0xfe, 0x80])))
            binary.StatusCode.Should().Be(HttpStatusCode.NoContent);
        await SendAsync(HttpMethod.Post, "v1/txn", """{"then": [{"put": {"key": "xfer/typed", "typed": {"Int": 3}}}]}""");
        var original = await RangeAsync("xfer/");
        original.Should().Contain("b64:").And.Contain("(typed)");

        foreach (var old in Directory.EnumerateFiles(DashboardBrowser.DownloadDirectory, "kvdb-xfer*"))
            File.Delete(old);
        web.Open(new Uri(Cluster.Url(2), "ui/#/keys?p=xfer%2F"));
        web.Visible(By.Id("transfer-link"), "the import / export link").Click();
        web.Visible(By.Id("export"), "the export button").Click();
        var download = web.Visible(By.Id("export-download"), "the exported file's link");
        download.GetDomAttribute("data-keys").Should().Be("4");
        download.Click();
        var file = web.Until(_ => Directory.EnumerateFiles(DashboardBrowser.DownloadDirectory, "kvdb-xfer*.json").FirstOrDefault(), "the export to be saved");
        var exported = JsonDocument.Parse(await ReadWhenCompleteAsync(file)).RootElement;
        exported.GetProperty("prefix").GetString().Should().Be("xfer/");
        exported.GetProperty("keys").GetArrayLength().Should().Be(4);
        web.Screenshot("export");

        await SendAsync(HttpMethod.Post, "v1/txn", """{"then": [{"delete": {"prefix": "xfer/"}}]}""");
        (await RangeAsync("xfer/")).Should().BeEmpty();

        new OpenQA.Selenium.Support.UI.SelectElement(web.Driver.FindElement(By.Id("import-mode"))).SelectByValue("one");
        web.Driver.FindElement(By.Id("import-file")).SendKeys(file);
        web.Driver.FindElement(By.Id("import")).Click();
        web.Until(d => d.FindElement(By.Id("import-counts")).GetDomAttribute("data-imported") == "4" ? "" : null, "4 keys imported");
        web.Driver.FindElement(By.Id("import-counts")).GetDomAttribute("data-failed").Should().Be("0");
        (await RangeAsync("xfer/")).Should().Be(original, "every key, value and type is back");

        // In batches of 100, a bad value in the second batch fails that batch only, and the report says which keys.
        var entries = Enumerable.Range(0, 150).Select(i => i == 120
            ? $$"""{"key": "xfer2/{{i:D3}}", "value": "{\"NoSuchType\": 1}", "typed": true}"""
            : $$"""{"key": "xfer2/{{i:D3}}", "value": "v{{i}}"}""");
        var batches = Path.Combine(DashboardBrowser.DownloadDirectory, "xfer2-import.json");
        await File.WriteAllTextAsync(batches, "{\"keys\": [" + string.Join(',', entries) + "]}");
        web.Driver.Navigate().Refresh();
        web.Visible(By.Id("import-file"), "the import form").SendKeys(batches);
        web.Driver.FindElement(By.Id("import")).Click();
        web.Until(d => d.FindElement(By.Id("import-counts")).GetDomAttribute("data-failed") == "50" ? "" : null, "the second batch to fail");
        web.Driver.FindElement(By.Id("import-counts")).GetDomAttribute("data-imported").Should().Be("100");
        web.Driver.FindElement(By.Id("import-failures")).Text.Should().Contain("keys 101–150").And.Contain("400");
        (await RangeAsync("xfer2/")).Split('\n').Should().HaveCount(100);
        web.Screenshot("import-report");
        web.ShouldHaveNoConsoleErrors(400);
    }

    private static async Task<string> ReadWhenCompleteAsync(string path)
    {
        string? text = null;
        await Eventually.WaitUntilAsync(
            async () =>
            {
                try
                {
                    text = await File.ReadAllTextAsync(path);
                    JsonDocument.Parse(text).Dispose();
                    return true;
                }
                catch (Exception e) when (e is IOException or JsonException)
                {
                    return false;
                }
            },
            $"{path} to be written whole", TimeSpan.FromSeconds(30));
        return text!;
    }
}
