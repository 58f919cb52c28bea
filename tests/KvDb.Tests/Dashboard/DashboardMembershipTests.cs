// The cluster view's membership controls in a real browser (headless chromium): root adds a
// fourth member (a real kvdb process started with --join) and removes a follower after
// confirming in the page; the API's refusals (a peer URL already taken, the last member) are
// shown as its problem details; a user who is not root sees no controls and the API refuses it
// anyway. Elections a user's grant names but that have no candidate show as such without a
// console error.
// Invariants: each test starts its own cluster, since both change it (membership, auth); every
// test fails on any console error it did not provoke.
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using OpenQA.Selenium;

namespace KvDb.Tests.Dashboard;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class DashboardMembershipTests : IDisposable
{
    private static readonly TimeSpan Joining = TimeSpan.FromSeconds(90);
    private DashboardBrowser? browser;

    public void Dispose() => browser?.Dispose();

    private DashboardBrowser Browser()
    {
        Skip.If(DashboardBrowser.Unavailable is not null, DashboardBrowser.Unavailable);
        return browser = DashboardBrowser.Start();
    }

    private static By MemberRow(int id) => By.CssSelector($"#members tr[data-member='{id}']");

    private static string RoleOf(IWebDriver driver, int id)
        => driver.FindElements(By.CssSelector($"#members tr[data-member='{id}'] td.role")).FirstOrDefault()?.Text ?? "";

    private static void Fill(IWebDriver driver, string id, string text)
    {
        var input = driver.FindElement(By.Id(id));
        input.Clear();
        input.SendKeys(text);
    }

    [SkippableFact]
    public async Task Root_adds_a_fourth_member_and_removes_a_follower_after_confirming_and_sees_the_apis_refusal()
    {
        var web = Browser();
        await using var cluster = await KvdbCluster.StartAsync(3, "--request-timeout", "2s");
        web.Open(new Uri(cluster.Url(1), "ui/#/cluster"));
        web.Until(d => d.FindElements(By.CssSelector("#members tbody tr")).Count == 3 ? "" : null, "three members");

        // Announced first (kv-db's order): recorded, shown as not running, then started with --join.
        var four = cluster.ReserveMember();
        Fill(web.Driver, "add-id", four.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Fill(web.Driver, "add-peer", cluster.PeerUrl(four));
        web.Driver.FindElement(By.Id("add-member")).Click();
        web.Visible(By.Id("member-outcome"), "the add's outcome").Text.Should().Contain($"Member {four} is recorded");
        web.Visible(MemberRow(four), $"member {four} listed");
        cluster.Member(four).Start();
        web.Until(d => RoleOf(d, four) is "follower" or "★ leader" ? "" : null, $"member {four} running with a role", Joining);
        await cluster.Member(four).WaitForOutputAsync("was added to the cluster");
        web.Screenshot("cluster-member-added");

        // A follower other than the member serving the page: Cancel first (nothing happens), then confirm.
        var follower = int.Parse(
            web.Until(d => new[] { 2, 3 }.FirstOrDefault(id => RoleOf(d, id) == "follower") is var id and > 0 ? id.ToString(System.Globalization.CultureInfo.InvariantCulture) : null, "a follower among members 2 and 3"),
            System.Globalization.CultureInfo.InvariantCulture);
        web.Driver.FindElement(By.CssSelector($"#members tr[data-member='{follower}'] button.remove")).Click();
        var box = web.Visible(By.Id("remove-box"), "the removal's confirmation");
        box.Text.Should().Contain($"Remove member {follower}?");
        web.Driver.SwitchTo().ActiveElement().GetDomAttribute("id").Should().Be("remove-cancel", "the safe choice has the focus");
        web.Driver.FindElement(By.Id("remove-cancel")).Click();
        web.Until(d => d.FindElement(By.Id("remove-box")).Displayed ? null : "", "the confirmation closed");
        (await cluster.MembersAsync(1)).Select(m => m.Id).Should().Contain(follower, "cancelling removes nothing");

        web.Driver.FindElement(By.CssSelector($"#members tr[data-member='{follower}'] button.remove")).Click();
        web.Visible(By.Id("remove-confirm"), "the confirm button").Text.Should().Be($"Remove member {follower}");
        web.Screenshot("cluster-remove-confirm");
        web.Driver.FindElement(By.Id("remove-confirm")).Click();
        web.Visible(By.Id("member-outcome"), "the removal's outcome").Text.Should().Contain($"Member {follower} was removed");
        web.Until(d => d.FindElements(MemberRow(follower)).Count == 0 ? "" : null, $"member {follower} gone from the view");
        (await cluster.Member(follower).WaitForExitAsync(TimeSpan.FromSeconds(60))).Should().Be(0, cluster.Describe());
        web.Until(d => d.FindElements(By.CssSelector("#members tbody tr")).Count == 3 ? "" : null, "three members again");

        // The API's refusal as it put it: a peer URL that is already member 1's.
        Fill(web.Driver, "add-id", "9");
        Fill(web.Driver, "add-peer", cluster.PeerUrl(1));
        web.Driver.FindElement(By.Id("add-member")).Click();
        var refusal = web.Visible(By.Id("member-problem"), "the 409's problem details").Text;
        refusal.Should().Contain("Member 9 was not added: Member conflict (409)").And.Contain("already the address of member 1");
        web.Screenshot("cluster-member-refused");
        (await cluster.MembersAsync(1)).Select(m => m.Id).Should().NotContain(9);
        web.ShouldHaveNoConsoleErrors(409);
    }

    private static async Task SendAsync(KvdbCluster cluster, HttpMethod method, string path, string body, string? user = "root:rootpw")
    {
        using var request = new HttpRequestMessage(method, new Uri(cluster.Url(1), path)) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (user is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user)));
        using var response = await cluster.Client.SendAsync(request);
        response.IsSuccessStatusCode.Should().BeTrue($"{method} {path}: {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task<(HttpStatusCode Status, string Body)> AsAnnAsync(KvdbCluster cluster, HttpMethod method, string path, string? body)
    {
        using var request = new HttpRequestMessage(method, new Uri(cluster.Url(1), path));
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, path.StartsWith("v1/", StringComparison.Ordinal) ? "application/json" : "text/plain");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ann:annpw")));
        using var response = await cluster.Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static void LogIn(DashboardBrowser web, string user, string password)
    {
        web.Visible(By.Id("login-name"), "the login form").SendKeys(user);
        web.Driver.FindElement(By.Id("login-password")).SendKeys(password);
        web.Driver.FindElement(By.Id("login-button")).Click();
    }

    [SkippableFact]
    public async Task The_last_member_is_not_removed_and_a_user_who_is_not_root_gets_no_controls_and_a_403()
    {
        var web = Browser();
        await using var cluster = await KvdbCluster.StartAsync(1, "--in-memory");
        await SendAsync(cluster, HttpMethod.Post, "v1/auth/roles", """{"name": "team-reader", "permissions": [{"prefix": "team/", "access": "read"}, {"prefix": "_elections/quiet/", "access": "read"}]}""", user: null);
        await SendAsync(cluster, HttpMethod.Post, "v1/auth/users", """{"name": "root", "password": "rootpw"}""", user: null);
        await SendAsync(cluster, HttpMethod.Post, "v1/auth/users", """{"name": "ann", "password": "annpw", "roles": ["team-reader"]}""", user: null);
        await SendAsync(cluster, HttpMethod.Post, "v1/auth/enable", "");

        // Root: the controls, and the API's refusal to remove the last member.
        web.Open(new Uri(cluster.Url(1), "ui/#/cluster"));
        LogIn(web, "root", "rootpw");
        web.Visible(By.CssSelector("#members tr[data-member='1'] button.remove"), "member 1's Remove… button").Click();
        web.Visible(By.Id("remove-confirm"), "the confirm button").Click();
        web.Visible(By.Id("member-problem"), "the 409's problem details").Text
            .Should().Contain("Member 1 was not removed: Member conflict (409)").And.Contain("last member");
        web.Driver.FindElements(MemberRow(1)).Should().ContainSingle("nothing was removed");
        web.Screenshot("cluster-last-member-refused");
        web.ShouldHaveNoConsoleErrors(409);

        // Ann (not root): the members, no controls.
        web.Driver.FindElement(By.Id("logout")).Click();
        LogIn(web, "ann", "annpw");
        web.Visible(MemberRow(1), "member 1 for ann");
        web.Until(d => d.FindElement(By.Id("cluster-note")).Text.Contains("Read through", StringComparison.Ordinal) ? "" : null, "the view read");
        web.Driver.FindElements(By.CssSelector("#members button, #add-form, #remove-box")).Should().BeEmpty("only root may change the members");
        web.Driver.FindElement(By.CssSelector("#members thead")).Text.Should().NotContain("Change");
        web.Screenshot("cluster-not-root");

        // ... and the API refuses her in every form, whatever the page offers.
        foreach (var (method, path, body) in new (HttpMethod, string, string?)[]
        {
            (HttpMethod.Post, "v1/members", """{"id": 2, "peerUrl": "http://127.0.0.1:1"}"""),
            (HttpMethod.Delete, "v1/members/1", null),
            (HttpMethod.Post, "2", "http://127.0.0.1:1"),
            (HttpMethod.Delete, "1", null),
        })
        {
            var (status, text) = await AsAnnAsync(cluster, method, path, body);
            status.Should().Be(HttpStatusCode.Forbidden, $"{method} /{path} as ann: {text}");
        }


        // An election her grant names but that has no candidate: shown as such, no 404 in the console.
        web.Open(new Uri(cluster.Url(1), "ui/#/elections"));
        web.Visible(By.CssSelector("#elections tr[data-name='quiet'] td.no-leader"), "the quiet election").Text.Should().Be("no candidate now");
        web.ShouldHaveNoConsoleErrors();
    }
}
