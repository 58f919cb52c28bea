// The dashboard's history, lists, leases and locks views show a user granted one prefix nothing
// of other prefixes, and import and export stay within the grant: in a real browser, logged in as a user who may read team/ only, against a
// member (auth on) that also holds another prefix's keys, keyspace, lease and lock.
// Its own one-member cluster: turning auth on cannot be undone, so it would change the views
// tests' cluster under them.
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OpenQA.Selenium;

namespace KvDb.Tests.Dashboard;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class DashboardGrantViewsTests : IAsyncLifetime
{
    private KvdbCluster cluster = null!;
    private DashboardBrowser? browser;

    public async Task InitializeAsync()
    {
        if (DashboardBrowser.Unavailable is not null)
            return;
        cluster = await KvdbCluster.StartAsync(1, "--in-memory");
        await cluster.WaitUntilServingAsync();
    }

    public async Task DisposeAsync()
    {
        browser?.Dispose();
        if (cluster is not null)
            await cluster.DisposeAsync();
    }

    private async Task<string> AsRootAsync(HttpMethod method, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(cluster.Url(1), path));
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, path.StartsWith("v1/kv/", StringComparison.Ordinal) ? "application/octet-stream" : "application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("root:rootpw")));
        using var response = await cluster.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.Should().BeTrue($"{method} {path}: {text}");
        return text;
    }

    [SkippableFact]
    public async Task A_user_granted_one_prefix_sees_no_other_prefix_in_history_lists_leases_or_locks()
    {
        Skip.If(DashboardBrowser.Unavailable is not null, DashboardBrowser.Unavailable);
        await AsRoot.EnableAuthWithReaderAsync(cluster.Client, cluster.Url(1), "team-reader", "team/", "ann", "annpw");
        await AsRootAsync(HttpMethod.Put, "v1/kv/team/h", "team-value");
        await AsRootAsync(HttpMethod.Put, "v1/kv/secret/h", "secret-one");
        await AsRootAsync(HttpMethod.Put, "v1/kv/secret/h", "secret-two");
        foreach (var keyspace in new[] { "team", "secret" })
        {
            await AsRootAsync(HttpMethod.Put, $"v1/keyspaces/{keyspace}");
            await AsRootAsync(HttpMethod.Post, $"v1/lists/{keyspace}/l1", $$"""{"items": [{"value": "{{keyspace}}-item"}]}""");
        }

        var lease = JsonDocument.Parse(await AsRootAsync(HttpMethod.Post, "v1/leases", """{"ttl": "120s"}""")).RootElement.GetProperty("id").GetInt64();
        await AsRootAsync(HttpMethod.Post, "v1/locks/secret-lock?ttl=120s");

        var web = browser = DashboardBrowser.Start();
        web.Open(new Uri(cluster.Url(1), "ui/"));
        web.Visible(By.Id("login-name"), "the login form").SendKeys("ann");
        web.Driver.FindElement(By.Id("login-password")).SendKeys("annpw");
        web.Driver.FindElement(By.Id("login-button")).Click();
        web.Visible(By.Id("grants"), "the prefixes ann may read");

        // History and past revisions: team/ readable, secret/ refused with the server's 403.
        web.Open(new Uri(cluster.Url(1), "ui/#/key?k=team%2Fh"));
        web.Until(d => d.FindElements(By.CssSelector("#history tbody tr")).Count == 1 ? "" : null, "team/h's one change");
        web.Open(new Uri(cluster.Url(1), "ui/#/key?k=secret%2Fh&rev=1"));
        web.Visible(By.Id("forbidden"), "a 403 for secret/h at a revision").Text.Should().Contain("Not allowed");
        web.PageText().Should().NotContain("secret-one").And.NotContain("secret-two");

        // Lists: only the keyspace team/ covers; secret's lists not even named.
        web.Open(new Uri(cluster.Url(1), "ui/#/lists"));
        web.Visible(By.CssSelector("#keyspaces tr[data-keyspace='team']"), "keyspace team");
        web.Driver.FindElements(By.CssSelector("#keyspaces tr[data-keyspace='secret']")).Should().BeEmpty();
        web.Open(new Uri(cluster.Url(1), "ui/#/lists?ks=secret"));
        web.Visible(By.Id("lists-problem"), "a 403 for keyspace secret");
        web.Driver.FindElements(By.CssSelector("#lists tbody tr")).Should().BeEmpty("ann may read no list of secret");
        web.Open(new Uri(cluster.Url(1), "ui/#/lists?ks=secret&k=l1"));
        web.Visible(By.Id("lists-problem"), "a 403 for secret's list l1");
        web.PageText().Should().NotContain("secret-item");

        // Leases: root's are not ann's; locks: _locks/ is outside ann's grant.
        web.Open(new Uri(cluster.Url(1), "ui/#/leases"));
        web.Visible(By.Id("no-leases"), "no leases of ann's");
        web.Driver.FindElements(By.CssSelector($"#leases tr[data-lease='{lease}']")).Should().BeEmpty();
        web.Open(new Uri(cluster.Url(1), "ui/#/locks"));
        web.Visible(By.Id("locks-none"), "no locks ann may see");
        web.PageText().Should().NotContain("secret-lock");
        web.Screenshot("restricted-locks");

        // Export: only a prefix ann may read; import: ann may write nothing, and the report says so.
        web.Open(new Uri(cluster.Url(1), "ui/#/transfer?p=secret%2F"));
        web.Visible(By.Id("export"), "the export button").Enabled.Should().BeFalse("ann may not read secret/");
        web.Open(new Uri(cluster.Url(1), "ui/#/transfer?p=team%2F"));
        web.Visible(By.Id("export"), "the export button").Click();
        web.Until(d => d.FindElement(By.Id("export-download")).GetDomAttribute("data-keys") == "1" ? "" : null, "team/'s one key exported");
        var file = Path.Combine(DashboardBrowser.DownloadDirectory, "grant-import.json");
        await File.WriteAllTextAsync(file, """{"keys": [{"key": "team/new", "value": "x"}]}""");
        web.Driver.FindElement(By.Id("import-file")).SendKeys(file);
        web.Driver.FindElement(By.Id("import")).Click();
        web.Until(d => d.FindElement(By.Id("import-counts")).GetDomAttribute("data-failed") == "1" ? "" : null, "ann's import refused");
        web.Driver.FindElement(By.Id("import-counts")).Text.Should().Contain("outside what your roles let you write");
        web.Driver.FindElement(By.Id("import-failures")).Text.Should().Contain("403");
        web.ShouldHaveNoConsoleErrors(403);
    }
}
