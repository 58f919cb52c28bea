// The dashboard used with the keyboard only and in a narrow window, in a real browser (headless
// chromium), one three-member cluster and one browser shared by the class (the tests only read,
// but for one key each edits). Every view is walked: keys, a prefix, a key with its history, a
// key being edited, a past revision, a new key, keyspaces, a keyspace, a list, leases, locks,
// elections, the cluster, activity and import/export.
// The rules checked in each view: every visible link, button, input, select and textarea has an
// accessible name (aria-label, aria-labelledby, a label, or its own text: the script below);
// at 600x900 the page does not scroll sideways (document.documentElement.scrollWidth <=
// clientWidth); and the browser's console holds no error.
// Invariants: keys, keyspaces and names are the class's own ("a11y..."); no mouse click is used
// in the keyboard test, only Tab, Shift+Tab, Enter, Space and typing.
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenQA.Selenium;
using OpenQA.Selenium.Interactions;
using Key = OpenQA.Selenium.Keys;

namespace KvDb.Tests.Dashboard;

/// <summary>The cluster, its data and the browser the accessibility tests share.</summary>
public sealed class DashboardAccessibilityFixture : IAsyncLifetime
{
    private DashboardBrowser? browser;

    /// <summary>The cluster; null when no browser can run here.</summary>
    public KvdbCluster? Cluster { get; private set; }

    /// <summary>The shared browser, started on first use.</summary>
    public DashboardBrowser Browser => browser ??= DashboardBrowser.Start();

    /// <summary>The revision a11y/k was first written at.</summary>
    public long FirstRevision { get; private set; }

    /// <summary>The lease a11y/leased is attached to (the lock and the election hold leases of their own).</summary>
    public long KeyLease { get; private set; }

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        if (DashboardBrowser.Unavailable is not null)
            return;
        Cluster = await KvdbCluster.StartAsync(3, "--in-memory");
        await Cluster.WaitUntilServingAsync();
        FirstRevision = await PutAsync("a11y/k", "first");
        await PutAsync("a11y/k", "second");
        await PutAsync("a11y/deeper/k", "x");
        await SendAsync(HttpMethod.Put, "v1/keyspaces/a11y");
        await SendAsync(HttpMethod.Post, "v1/lists/a11y/events", """{"items": [{"value": "one"}, {"value": "two"}]}""");
        KeyLease = JsonDocument.Parse(await SendAsync(HttpMethod.Post, "v1/leases", """{"ttl": "900s"}""")).RootElement.GetProperty("id").GetInt64();
        await PutAsync("a11y/leased", "x", $"lease={KeyLease}");
        await SendAsync(HttpMethod.Post, "v1/locks/a11y-lock?ttl=900s");
        await SendAsync(HttpMethod.Post, "v1/elections/a11y-election/campaign", """{"value": "node-a", "ttl": "900s"}""");
    }

    private async Task<long> PutAsync(string key, string value, string? query = null)
    {
        using var response = await Cluster!.Client.PutAsync(Cluster.KeyUrl(1, key, query), new StringContent(value));
        response.StatusCode.Should().Be(HttpStatusCode.NoContent, await response.Content.ReadAsStringAsync());
        return long.Parse(response.Headers.GetValues("X-Kvdb-Revision").Single(), CultureInfo.InvariantCulture);
    }

    private async Task<string> SendAsync(HttpMethod method, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(Cluster!.Url(1), path));
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await Cluster.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.Should().BeTrue($"{method} {path}: {text}");
        return text;
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
public sealed class DashboardAccessibilityTests(DashboardAccessibilityFixture fixture) : IClassFixture<DashboardAccessibilityFixture>
{
    // A control's accessible name, as far as the dashboard gives one: aria-label, aria-labelledby,
    // its labels, or its own text (buttons and links), or a title. Only controls that are rendered.
    private const string UnnamedControls = """
        const unnamed = [];
        for (const el of document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])')) {
          if (!el.getClientRects().length) continue;
          const byIds = (el.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean)
            .map((id) => (document.getElementById(id) || {}).textContent || '').join(' ');
          const name = [el.getAttribute('aria-label') || '', byIds, [...(el.labels || [])].map((l) => l.textContent).join(' '),
            ['A', 'BUTTON'].includes(el.tagName) ? el.textContent : '', el.getAttribute('title') || ''].join(' ').trim();
          if (!name) unnamed.push(el.outerHTML.slice(0, 160));
        }
        return unnamed;
        """;

    private const string Overflow = "const e = document.documentElement; return e.scrollWidth > e.clientWidth ? `${e.scrollWidth} > ${e.clientWidth}` : '';";

    private KvdbCluster Cluster => fixture.Cluster!;

    private DashboardBrowser Browser(int width, int height)
    {
        Skip.If(DashboardBrowser.Unavailable is not null, DashboardBrowser.Unavailable);
        var web = fixture.Browser;
        web.Driver.Manage().Window.Size = new System.Drawing.Size(width, height);
        web.Console(); // what an earlier test left in the log is not this test's
        return web;
    }

    private static string Q(string text) => Uri.EscapeDataString(text);

    /// <summary>Each view: its address, what shows it is ready, and a screenshot name.</summary>
    private (string Hash, By Ready, string Name)[] Views() =>
    [
        ("#/keys", By.CssSelector("#keys-table tbody tr"), "keys"),
        ($"#/keys?p={Q("a11y/")}", By.CssSelector("#keys-table tbody tr"), "prefix"),
        ($"#/key?k={Q("a11y/k")}", By.CssSelector("#history tbody tr"), "key"),
        ($"#/key?k={Q("a11y/k")}&edit=1", By.Id("value-editor"), "key-edit"),
        ($"#/key?k={Q("a11y/k")}&rev={fixture.FirstRevision}", By.Id("at-note"), "key-at-revision"),
        ($"#/new?p={Q("a11y/")}", By.Id("new-key"), "new-key"),
        ("#/lists", By.CssSelector("#keyspaces tbody tr"), "keyspaces"),
        ("#/lists?ks=a11y", By.CssSelector("#lists tbody tr"), "keyspace"),
        ("#/lists?ks=a11y&k=events", By.CssSelector("#items tbody tr"), "list"),
        ("#/leases", By.CssSelector("#leases tbody tr"), "leases"),
        ("#/locks", By.CssSelector("#locks tbody tr[data-name='a11y-lock'] td.holder"), "locks"),
        ("#/elections", By.CssSelector("#elections tbody tr[data-name='a11y-election'] td.leader-value"), "elections"),
        ("#/cluster", By.CssSelector("#members tbody tr[data-member='3'] td.role"), "cluster"),
        ("#/activity", By.CssSelector("#activity section.activity-member"), "activity"),
        ($"#/transfer?p={Q("a11y/")}", By.Id("export"), "transfer"),
    ];

    [SkippableFact]
    public void Every_view_names_its_controls_and_fits_a_600_pixel_window_without_console_errors()
    {
        var web = Browser(600, 900);
        var script = (IJavaScriptExecutor)web.Driver;
        foreach (var (hash, ready, name) in Views())
        {
            web.Open(new Uri(Cluster.Url(2), "ui/" + hash));
            web.Visible(ready, $"the {name} view");
            if (name == "cluster")
            {
                // The removal's confirmation open too: its controls count.
                web.Driver.FindElement(By.CssSelector("#members tr[data-member='3'] button.remove")).SendKeys(Key.Enter);
                web.Visible(By.Id("remove-confirm"), "the confirmation");
            }

            var unnamed = ((IEnumerable<object>)script.ExecuteScript(UnnamedControls)!).Select(static o => (string)o).ToList();
            unnamed.Should().BeEmpty($"every control of the {name} view has an accessible name");
            var overflow = (string)script.ExecuteScript(Overflow)!;
            if (overflow.Length > 0)
                web.Screenshot($"narrow-{name}-overflow");
            overflow.Should().BeEmpty($"the {name} view fits 600 pixels without scrolling sideways");
            web.Screenshot($"narrow-{name}");
            web.ShouldHaveNoConsoleErrors();
            if (name == "cluster")
                web.Driver.FindElement(By.Id("remove-cancel")).SendKeys(Key.Escape);
        }
    }

    private static string ActiveSummary(IWebDriver driver)
    {
        var active = driver.SwitchTo().ActiveElement();
        return $"<{active.TagName} id='{active.GetDomAttribute("id")}'>{active.Text}";
    }

    /// <summary>Presses Tab (or Shift+Tab) until the focused element matches <paramref name="css"/>.</summary>
    private static void TabTo(DashboardBrowser web, string css, bool backwards = false, int limit = 80)
    {
        var script = (IJavaScriptExecutor)web.Driver;
        for (var i = 0; i < limit; i++)
        {
            if ((bool)script.ExecuteScript("return !!document.activeElement && document.activeElement.matches(arguments[0]);", css)!)
                return;
            var keys = new Actions(web.Driver);
            (backwards ? keys.KeyDown(Key.Shift).SendKeys(Key.Tab).KeyUp(Key.Shift) : keys.SendKeys(Key.Tab)).Perform();
        }

        throw new Xunit.Sdk.XunitException($"{css} not reached with {limit} presses of {(backwards ? "Shift+Tab" : "Tab")}; the focus is on {ActiveSummary(web.Driver)}. The page showed:\n{web.PageText()}");
    }

    private static void Press(IWebDriver driver, string key) => new Actions(driver).SendKeys(key).Perform();

    [SkippableFact]
    public async Task Every_view_is_reached_and_a_key_edited_and_saved_with_the_keyboard_only()
    {
        var web = Browser(1280, 800);
        web.Open(new Uri(Cluster.Url(1), "ui/#/keys"));
        web.Visible(By.CssSelector("#keys-table tbody tr"), "the keys");

        // The skip link comes first and moves the focus to the content.
        TabTo(web, "a.skip");
        web.Driver.SwitchTo().ActiveElement().Displayed.Should().BeTrue("the skip link shows when focused");

        foreach (var (nav, ready) in new (string, By)[]
        {
            ("nav-lists", By.CssSelector("#keyspaces tbody tr")),
            ("nav-leases", By.CssSelector("#leases tbody tr")),
            ("nav-locks", By.CssSelector("#locks tbody tr td.holder")),
            ("nav-elections", By.CssSelector("#elections tbody tr td.leader-value")),
            ("nav-cluster", By.CssSelector("#members tbody tr td.role")),
            ("nav-activity", By.CssSelector("#activity section.activity-member")),
        })
        {
            TabTo(web, $"#{nav}");
            Press(web.Driver, Key.Enter);
            web.Visible(ready, $"the view of {nav}");
            web.Driver.FindElement(By.Id(nav)).GetDomAttribute("aria-current").Should().Be("page");
            if (nav == "nav-leases")
            {
                // A button activated with Space: a lease's details.
                TabTo(web, $"#leases button[aria-label='Details of lease {fixture.KeyLease}']");
                Press(web.Driver, Key.Space);
                web.Visible(By.CssSelector("#leases .lease-keys"), "the lease's details").Text.Should().Contain("a11y/leased");
                TabTo(web, $"#{nav}", backwards: true);
            }

            if (nav == "nav-cluster")
            {
                // The removal's confirmation with the keyboard: Enter opens it on Cancel, Escape
                // closes it and gives the focus back; a refresh of the rows keeps the focus.
                TabTo(web, "#members tr[data-member='2'] button.remove");
                Press(web.Driver, Key.Enter);
                web.Visible(By.Id("remove-box"), "the confirmation");
                ActiveSummary(web.Driver).Should().Contain("remove-cancel");
                Press(web.Driver, Key.Escape);
                web.Until(d => d.FindElement(By.Id("remove-box")).Displayed ? null : "", "the confirmation closed");
                var note = web.Driver.FindElement(By.Id("cluster-note")).Text;
                web.Until(d => d.FindElement(By.Id("cluster-note")).Text != note ? "" : null, "a refresh of the members");
                ((IJavaScriptExecutor)web.Driver).ExecuteScript("return document.activeElement.getAttribute('aria-label');")
                    .Should().Be("Remove member 2", "a refresh keeps the focus where it was");
                TabTo(web, $"#{nav}", backwards: true);
            }
        }

        // Keys: into a prefix, a key, Edit, type, Save.
        TabTo(web, "#nav-keys", backwards: true);
        Press(web.Driver, Key.Enter);
        web.Visible(By.CssSelector("#keys-table tbody tr"), "the keys");
        TabTo(web, $"#keys-table a[href='#/keys?p={Q("a11y/")}']");
        Press(web.Driver, Key.Enter);
        web.Visible(By.CssSelector("#keys-table tbody tr"), "the keys under a11y/");
        web.Until(d => d.Url.Contains("p=a11y", StringComparison.Ordinal) ? "" : null, "the prefix a11y/");
        TabTo(web, $"#keys-table a[href='#/key?k={Q("a11y/k")}']");
        Press(web.Driver, Key.Enter);
        web.Visible(By.Id("value"), "a11y/k's value");
        TabTo(web, "#edit");
        Press(web.Driver, Key.Enter);
        web.Visible(By.Id("value-editor"), "the editor");
        web.Until(d => d.SwitchTo().ActiveElement().GetDomAttribute("id") == "value-editor" ? "" : null, "the focus in the editor");
        new Actions(web.Driver).KeyDown(Key.Control).SendKeys("a").KeyUp(Key.Control).SendKeys("typed with keys").Perform();
        TabTo(web, "#save");
        web.Screenshot("keyboard-save");
        Press(web.Driver, Key.Space);
        web.Until(d => d.FindElements(By.Id("value")).FirstOrDefault()?.Text == "typed with keys" ? "" : null, "the saved value shown");
        (await Cluster.GetAsync(1, "a11y/k")).Should().Be("typed with keys");
        web.ShouldHaveNoConsoleErrors();
    }
}
