// kv-db's "Dynamic cluster reconfiguration" against real members: grow with --join, remove a
// follower and the leader, restart everyone, and the errors a user can make.
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;

namespace KvDb.Tests.Membership;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class MembershipTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    private static StringContent Text(string text) => new(text, Encoding.UTF8, "text/plain");

    [Fact]
    public async Task Grow_with_join_then_remove_a_follower_and_the_leader_and_restart_everyone()
    {
        await using var cluster = await KvdbCluster.StartAsync(3, "--request-timeout", "2s");
        await cluster.PutWithRetryAsync(1, "my-key", "before-4");

        // kv-db's order: announce member 4, then start it with --join.
        var four = cluster.ReserveMember();
        using (var post = await cluster.Client.PostAsync(new Uri(cluster.Url(1), "4"), Text(cluster.PeerUrl(four))))
            post.StatusCode.Should().BeOneOf(HttpStatusCode.Accepted, HttpStatusCode.NoContent);
        cluster.Member(four).Start();

        await cluster.WaitForMembersAsync(1, ms => ms.Any(m => m.Id == 4 && m.Role is "follower" or "leader"));
        await cluster.WaitForValueAsync(four, "my-key", "before-4");
        await cluster.PutWithRetryAsync(four, "written-on-4", "hello");
        (await cluster.GetAsync(1, "written-on-4")).Should().Be("hello");
        await cluster.Member(four).WaitForOutputAsync("was added to the cluster");
        cluster.Member(four).Output.Should().Contain("waiting to be added");

        // Remove member 3 through a member other than 3: it notices and exits 0.
        await RemoveMemberAsync(cluster, through: 1, id: 3);
        (await cluster.Member(3).WaitForExitAsync(ExitTimeout)).Should().Be(0, cluster.Describe());
        cluster.Member(3).Output.Should().Contain("removed from the cluster");
        var members = await cluster.WaitForMembersAsync(1, ms => ms.Count == 3 && ms.All(m => m.Role is "leader" or "follower") && ms.Count(m => m.Role == "leader") == 1);
        members.Select(m => m.Id).Should().Equal(1, 2, 4);

        // Remove the current leader at once: leadership moves and the rest keep serving. Member 3
        // may still be in the Raft configuration (the leader removes it after the map): the
        // removal is refused (409) until it has left, or removing the leader would leave 2 of 4
        // voters, no majority; the helper retries.
        var leader = members.Single(m => m.Role == "leader").Id;
        var survivor = new[] { 1, 2, 4 }.First(id => id != leader);
        await RemoveMemberAsync(cluster, through: survivor, id: leader);
        (await cluster.Member(leader).WaitForExitAsync(ExitTimeout)).Should().Be(0, cluster.Describe());
        await cluster.PutWithRetryAsync(survivor, "after-leader-removed", "still-serving");
        var remaining = new[] { 1, 2, 4 }.Where(id => id != leader).ToArray();
        foreach (var id in remaining)
            await cluster.WaitForValueAsync(id, "after-leader-removed", "still-serving");
        await cluster.WaitForMembersAsync(survivor, ms => ms.Count == 2 && ms.All(m => m.Role is "leader" or "follower"));

        // Restart the two remaining members with their original command lines: the new
        // membership holds (the --cluster lists are only used on a first start).
        foreach (var id in remaining)
            (await cluster.Member(id).StopAsync(ExitTimeout)).Should().Be(0);
        foreach (var id in remaining)
            cluster.Restart(id);
        await cluster.PutWithRetryAsync(remaining[0], "after-restart", "ok");
        await cluster.WaitForValueAsync(remaining[1], "after-restart", "ok");
        (await cluster.WaitForMembersAsync(remaining[1], ms => ms.Count == 2 && ms.All(m => m.Reachable)))
            .Select(m => m.Id).Should().Equal(remaining);
        (await cluster.GetAsync(remaining[1], "written-on-4")).Should().Be("hello");
    }

    [Fact]
    public async Task A_member_started_with_join_first_is_added_at_once_through_the_v1_api()
    {
        await using var cluster = await KvdbCluster.StartAsync(3);
        var four = cluster.ReserveMember();
        cluster.Member(four).Start();

        using var post = await cluster.Client.PostAsJsonAsync(new Uri(cluster.Url(2), "v1/members"), new { id = four, peerUrl = cluster.PeerUrl(four) });
        post.StatusCode.Should().Be(HttpStatusCode.NoContent, await post.Content.ReadAsStringAsync());
        await cluster.PutWithRetryAsync(four, "k", "v");

        using var delete = await cluster.Client.DeleteAsync(new Uri(cluster.Url(four), "v1/members/4"));
        delete.StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await cluster.Member(four).WaitForExitAsync(ExitTimeout)).Should().Be(0, cluster.Describe());
    }

    [Fact]
    public async Task A_member_started_with_join_but_never_added_keeps_waiting_and_never_forms_a_cluster()
    {
        var ports = FreePorts.Take(2);
        await using var lone = new KvdbProcess(1, ["--cluster", $"http://127.0.0.1:{ports[0]}", "--port", ports[1].ToString(CultureInfo.InvariantCulture), "--join", "--in-memory", "--request-timeout", "1s"]);
        lone.Start();
        using var client = new HttpClient();
        var url = new Uri($"http://127.0.0.1:{ports[1]}/");

        using var put = await Eventually.ValueAsync(() => client.PutAsync(new Uri(url, "k"), Text("v")), _ => true, "the joining member to answer a PUT",
            TimeSpan.FromSeconds(30), () => lone.Output, retryOn: e => e is HttpRequestException, interval: TimeSpan.FromMilliseconds(100));
        put.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, "a joining member has no cluster until one adds it");
        (await client.GetAsync(new Uri(url, "k"))).StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        lone.IsRunning.Should().BeTrue();
        await lone.WaitForOutputAsync("waiting to be added");
    }

    [Fact]
    public async Task Membership_errors_are_problem_details_and_change_nothing()
    {
        await using var cluster = await KvdbCluster.StartAsync(1, "--in-memory", "--request-timeout", "1s");
        var root = cluster.Url(1);
        var self = cluster.PeerUrl(1);

        await ShouldBe(await cluster.Client.DeleteAsync(new Uri(root, "7")), HttpStatusCode.NotFound);
        await ShouldBe(await cluster.Client.DeleteAsync(new Uri(root, "1")), HttpStatusCode.Conflict);
        await ShouldBe(await cluster.Client.PostAsync(new Uri(root, "2"), Text(self)), HttpStatusCode.Conflict);
        await ShouldBe(await cluster.Client.PostAsync(new Uri(root, "1"), Text("http://127.0.0.1:1")), HttpStatusCode.Conflict);
        await ShouldBe(await cluster.Client.PostAsync(new Uri(root, "2"), Text("not a url")), HttpStatusCode.BadRequest);
        await ShouldBe(await cluster.Client.PostAsync(new Uri(root, "2"), Text("ftp://127.0.0.1:5")), HttpStatusCode.BadRequest);
        await ShouldBe(await cluster.Client.PostAsync(new Uri(root, "0"), Text("http://127.0.0.1:5")), HttpStatusCode.BadRequest);
        await ShouldBe(await cluster.Client.PostAsync(new Uri(root, "99999999999999999999999"), Text("http://127.0.0.1:5")), HttpStatusCode.BadRequest);
        await ShouldBe(await cluster.Client.PostAsync(new Uri(root, "v1/members"), Text("{\"id\":\"two\"}")), HttpStatusCode.BadRequest);
        await ShouldBe(await cluster.Client.PostAsync(new Uri(root, "v1/members"), Text("{not json")), HttpStatusCode.BadRequest);
        await ShouldBe(await cluster.Client.DeleteAsync(new Uri(root, "v1/members/-3")), HttpStatusCode.BadRequest);

        // The root paths are membership only for POST and DELETE: "4" is still a key for GET and PUT.
        await cluster.PutWithRetryAsync(1, "4", "a key named four");
        (await cluster.GetAsync(1, "4")).Should().Be("a key named four");

        var members = await cluster.MembersAsync(1);
        members.Should().ContainSingle().Which.Should().Be(new MemberInfo(1, self, cluster.Url(1).ToString().TrimEnd('/'), "leader", true));
    }

    // A removal is retried while the cluster answers 503 (a leader change under load) or 409
    // "Membership change in progress" (the previous removal has not finished); after a 503 whose
    // outcome is unknown, 404 means the earlier attempt did remove it.
    private static async Task RemoveMemberAsync(KvdbCluster cluster, int through, int id)
    {
        var retried = false;
        await Eventually.WaitUntilAsync(async () =>
        {
            using var delete = await cluster.Client.DeleteAsync(new Uri(cluster.Url(through), id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            if (delete.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                retried = true;
                return false;
            }

            if (delete.StatusCode == HttpStatusCode.Conflict && (await delete.Content.ReadAsStringAsync()).Contains("Membership change in progress", StringComparison.Ordinal))
                return false;

            delete.StatusCode.Should().BeOneOf(retried ? [HttpStatusCode.NoContent, HttpStatusCode.NotFound] : [HttpStatusCode.NoContent]);
            return true;
        }, $"member {id} removed through member {through}", TimeSpan.FromSeconds(30), cluster.Describe);
    }

    private static async Task ShouldBe(HttpResponseMessage response, HttpStatusCode status)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            response.StatusCode.Should().Be(status, body);
            response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json", body);
        }
    }
}
