// What a removed member does: it learns of its removal and stops by itself (exit code 0), and
// once added again under its old id and URL (--join, an empty data directory) it is caught up
// through the whole log, its own earlier removal included, and stays a member.
// Invariants: the leader takes a member out of the Raft configuration only after it has told
// it the removal committed (MembershipReconciler), and a removal replayed while being caught up
// is history, not news (RaftNode.OnMembershipChanged).
using System.Globalization;
using System.Net;
using System.Text;
using Xunit.Abstractions;

namespace KvDb.Tests.Membership;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class RemovedMemberTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_member_removed_and_added_again_under_its_old_id_stays_a_member()
    {
        await using var cluster = await KvdbCluster.StartAsync(3, "--request-timeout", "2s");
        var four = await AddAsync(cluster, cluster.ReserveMember());
        await cluster.PutWithRetryAsync(four, "before-removal", "x");

        await RemoveAsync(cluster, through: 1, four);
        (await cluster.Member(four).WaitForExitAsync(ExitTimeout)).Should().Be(0, cluster.Describe());
        cluster.Member(four).Output.Should().Contain("removed from the cluster");
        await cluster.WaitForMembersAsync(1, ms => ms.Count == 3 && ms.All(m => m.Role is "leader" or "follower"));

        // Added again as the documentation says: POST its URL under its id, start it with --join
        // and an empty data directory. Its log replays "remove 4" before "add 4".
        Directory.Delete(cluster.DataDir(four), recursive: true);
        await PostMemberAsync(cluster, four);
        cluster.Restart(four);
        await cluster.WaitForMembersAsync(1, ms => ms.Count == 4 && ms.All(m => m.Role is "leader" or "follower" && m.Reachable));
        await cluster.WaitForValueAsync(four, "before-removal", "x");
        await cluster.PutWithRetryAsync(four, "after-re-add", "y");
        await cluster.WaitForValueAsync(1, "after-re-add", "y");

        // The replayed removal did not stop it. The member decides once, after applying what was
        // committed when it applied the removal (the later "add 4" included): this line is that
        // decision (RaftNode.StopIfStillRemovedAsync), so waiting for it rather than for a fixed
        // while sees the outcome, and a member still running after it carries on.
        await cluster.Member(four).WaitForOutputAsync("which a later entry undid", KvdbCluster.Patience);
        cluster.Member(four).IsRunning.Should().BeTrue(cluster.Describe());
        (await cluster.MembersAsync(1)).Select(m => m.Id).Should().Equal(1, 2, 3, 4);
    }

    [Fact]
    public async Task A_removed_member_that_missed_the_commit_of_its_removal_still_learns_of_it_and_stops()
    {
        await using var cluster = await KvdbCluster.StartWithNetworkAsync(3, "--request-timeout", "2s");
        var network = cluster.Network!;
        var leader = await cluster.WaitForLeaderAsync();
        var victim = new[] { 1, 2, 3 }.First(id => id != leader);

        // Nothing the leader sends reaches the victim while its removal commits (with the third
        // member). Once healed, only a leader that has kept it in the configuration tells it.
        network.Lose(leader, victim, 1.0);
        await RemoveAsync(cluster, leader, victim);
        await cluster.WaitForMembersAsync(leader, ms => ms.All(m => m.Id != victim));
        await Task.Delay(TimeSpan.FromSeconds(3));
        cluster.Member(victim).IsRunning.Should().BeTrue("the victim cannot have heard of its removal yet");
        network.Heal();
        output.WriteLine($"removed member {victim} through leader {leader}, whose messages to it were lost for 3 s");

        var stopped = await Eventually.TryWaitUntilAsync(() => !cluster.Member(victim).IsRunning, ExitTimeout);
        stopped.Should().BeTrue($"removed member {victim} must learn of its removal once it can hear the leader, and stop\n{cluster.Describe()}");
        cluster.Member(victim).ExitCode.Should().Be(0);
        cluster.Member(victim).Output.Should().Contain("removed from the cluster");
        await cluster.WaitForMembersAsync(leader, ms => ms.Count == 2 && ms.All(m => m.Role is "leader" or "follower"));
    }

    private static async Task<int> AddAsync(KvdbCluster cluster, int id)
    {
        await PostMemberAsync(cluster, id);
        cluster.Member(id).Start();
        await cluster.WaitForMembersAsync(1, ms => ms.Any(m => m.Id == id && m.Role is "follower" or "leader"));
        await cluster.WaitUntilMemberServesAsync(id);
        return id;
    }

    private static async Task PostMemberAsync(KvdbCluster cluster, int id)
    {
        await Eventually.WaitUntilAsync(async () =>
        {
            using var post = await cluster.Client.PostAsync(new Uri(cluster.Url(1), id.ToString(CultureInfo.InvariantCulture)), new StringContent(cluster.PeerUrl(id), Encoding.UTF8, "text/plain"));
            if (post.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.Conflict)
                return false;
            post.StatusCode.Should().BeOneOf(HttpStatusCode.Accepted, HttpStatusCode.NoContent);
            return true;
        }, $"member {id} announced", ExitTimeout, cluster.Describe);
    }

    // Retried while 503 (leader change) or 409 "Membership change in progress".
    private static async Task RemoveAsync(KvdbCluster cluster, int through, int id)
    {
        var retried = false;
        await Eventually.WaitUntilAsync(async () =>
        {
            using var delete = await cluster.Client.DeleteAsync(new Uri(cluster.Url(through), id.ToString(CultureInfo.InvariantCulture)));
            if (delete.StatusCode == HttpStatusCode.ServiceUnavailable
                || (delete.StatusCode == HttpStatusCode.Conflict && (await delete.Content.ReadAsStringAsync()).Contains("Membership change in progress", StringComparison.Ordinal)))
            {
                retried = true;
                return false;
            }

            delete.StatusCode.Should().BeOneOf(retried ? [HttpStatusCode.NoContent, HttpStatusCode.NotFound] : [HttpStatusCode.NoContent]);
            return true;
        }, $"member {id} removed through member {through}", ExitTimeout, cluster.Describe);
    }
}
