// Snapshots and restores with real members: GET /v1/snapshot from a follower holds every
// acknowledged write; `kvdb snapshot save/status/restore` make a new cluster with the same
// state that refuses to talk to a surviving member of the old one (and vice versa); scheduled
// backups to a directory keep --backup-retain and a latest pointer; an unreachable store is
// counted as failed and retried while the member keeps serving.
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace KvDb.Tests.Backups;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class BackupClusterTests
{
    private static readonly TimeSpan CliTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task A_saved_snapshot_restores_a_new_cluster_with_the_same_state_that_never_mixes_with_the_old_one()
    {
        await using var cluster = await KvdbCluster.StartAsync(3);
        for (var i = 0; i < 200; i++)
            await cluster.PutWithRetryAsync(1 + (i % 3), $"k/{i:D3}", $"v{i}");
        var leader = await cluster.WaitForLeaderAsync();
        var follower = leader % 3 + 1;
        var before = await BackupTestSupport.FullStateAsync(cluster, 1);
        var oldClusterId = (await BackupTestSupport.StatusAsync(cluster, 3))["clusterId"]!.GetValue<string>();
        oldClusterId.Should().NotBeNullOrEmpty("the first leader names the cluster when it bootstraps");

        var file = Path.Combine(Path.GetTempPath(), $"kvdb-backup-test-{Guid.NewGuid():N}.snapshot");
        try
        {
            // From a follower: it must hold every write acknowledged before (the read barrier).
            var (saveExit, saveOutput) = await KvdbProcess.RunToExitAsync(["snapshot", "save", file, "--endpoints", cluster.Url(follower).ToString()], CliTimeout);
            saveExit.Should().Be(0, saveOutput);
            saveOutput.Should().Contain("Saved the snapshot at revision");
            var (statusExit, statusOutput) = await KvdbProcess.RunToExitAsync(["snapshot", "status", file, "--json"], CliTimeout);
            statusExit.Should().Be(0, statusOutput);
            var status = JsonNode.Parse(statusOutput)!;
            status["keys"]!.GetValue<long>().Should().Be(before.Count(static line => line.StartsWith("{\"key\"", StringComparison.Ordinal)), "every key (the other lines are leases, keyspaces and lists)");
            status["clusterId"]!.GetValue<string>().Should().Be(oldClusterId);

            // Members 1 and 2 are lost; member 3 of the old cluster keeps running at its address.
            await cluster.Member(1).KillAsync();
            await cluster.Member(2).KillAsync();
            foreach (var id in new[] { 1, 2 })
            {
                Directory.Delete(cluster.DataDir(id), recursive: true);
                var (restoreExit, restoreOutput) = await KvdbProcess.RunToExitAsync(
                    ["snapshot", "restore", file, "--data-dir", cluster.DataDir(id), "--id", id.ToString(CultureInfo.InvariantCulture), "--cluster", cluster.ClusterList], CliTimeout);
                restoreExit.Should().Be(0, restoreOutput);
                restoreOutput.Should().Contain("of the new cluster");
                cluster.Restart(id);
            }

            await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60), except: 3);
            await cluster.WaitUntilMemberServesAsync(1, TimeSpan.FromSeconds(60));
            var restored = await BackupTestSupport.FullStateAsync(cluster, 1);
            restored.Should().Equal(before, "the restored cluster holds exactly the saved state, revisions included");
            var newClusterId = (await BackupTestSupport.StatusAsync(cluster, 2))["clusterId"]!.GetValue<string>();
            newClusterId.Should().NotBe(oldClusterId);

            // The two clusters refuse each other's requests on their peer ports, and say so.
            await Eventually.WaitUntilAsync(
                () => cluster.Member(1).Output.Contains($"belongs to cluster {newClusterId}") || cluster.Member(2).Output.Contains($"belongs to cluster {newClusterId}"),
                "a restored member (1 or 2) to log the old member's refused requests", TimeSpan.FromSeconds(35), cluster.Describe);
            await cluster.Member(3).WaitForOutputAsync($"belongs to cluster {oldClusterId}", TimeSpan.FromSeconds(30));
            await cluster.PutWithRetryAsync(1, "after-restore", "new");
            (await cluster.GetAsync(2, "after-restore")).Should().Be("new");
            (await cluster.GetAsync(3, "after-restore", "consistency=local")).Should().BeNull("the old member never receives the new cluster's entries");
            (await BackupTestSupport.StatusAsync(cluster, 3))["clusterId"]!.GetValue<string>().Should().Be(oldClusterId);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_peer_request_from_another_cluster_is_refused_with_problem_details()
    {
        await using var cluster = await KvdbCluster.StartAsync(1);
        var peer = new Uri(cluster.PeerUrl(1) + "/internal/v1/read-index");
        using var request = new HttpRequestMessage(HttpMethod.Post, peer) { Content = new StringContent("") };
        request.Headers.Add("X-Kvdb-Cluster-Id", "ffffffffffffffff");

        using var response = await cluster.Client.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await response.Content.ReadAsStringAsync()).Should().Contain("ffffffffffffffff");
        await cluster.Member(1).WaitForOutputAsync("cluster ffffffffffffffff");
    }

    [Fact]
    public async Task Scheduled_backups_to_a_directory_keep_the_newest_and_a_latest_pointer()
    {
        var store = Directory.CreateTempSubdirectory("kvdb-backup-store-").FullName;
        try
        {
            await using var cluster = await KvdbCluster.StartAsync(3, "--backup-to", "file://" + store, "--backup-interval", "1s", "--backup-retain", "2");
            var leader = await cluster.WaitForLeaderAsync();
            await cluster.PutWithRetryAsync(1, "scheduled", "yes");
            var status = await BackupTestSupport.WaitForStatusAsync(cluster, leader, s => s["backup"]?["succeeded"]?.GetValue<long>() >= 3, TimeSpan.FromSeconds(60));
            status["backup"]!["lastOutcome"]!.GetValue<string>().Should().Be("succeeded");
            status["backup"]!["uploading"]!.GetValue<bool>().Should().BeTrue();
            var follower = cluster.Members.First(m => m.Id != leader).Id;
            (await BackupTestSupport.StatusAsync(cluster, follower))["backup"]!["succeeded"]!.GetValue<long>().Should().Be(0, "only the leader uploads");

            await Eventually.WaitUntilAsync(() => Directory.GetFiles(store, "kvdb-*.snapshot").Length <= 2, "retention to keep at most 2 backups", TimeSpan.FromSeconds(30),
                () => string.Join(", ", Directory.GetFiles(store).Select(Path.GetFileName)), TimeSpan.FromMilliseconds(100));
            Directory.GetFiles(store, "kvdb-*.snapshot").Length.Should().BeInRange(1, 2);
            File.Exists(Path.Combine(store, "latest")).Should().BeTrue();
            var (exit, output) = await KvdbProcess.RunToExitAsync(["snapshot", "status", "file://" + store + "/latest"], CliTimeout);
            exit.Should().Be(0, output);
            output.Should().Contain("verified");

            var metrics = await cluster.Client.GetStringAsync(new Uri(cluster.Url(leader), "metrics"));
            metrics.Should().Contain("kvdb_backups{outcome=\"succeeded\"}").And.Contain("kvdb_backup_last_revision");
        }
        finally
        {
            Directory.Delete(store, recursive: true);
        }
    }

    [Fact]
    public async Task An_unreachable_store_is_counted_as_failed_and_retried_while_the_member_keeps_serving()
    {
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "S3RVER");
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "S3RVER");
        var closedPort = FreePorts.Take(1)[0];
        await using var cluster = await KvdbCluster.StartAsync(1, "--backup-to", "s3://kvdb-backups/unreachable", "--backup-s3-endpoint", $"http://127.0.0.1:{closedPort}", "--backup-interval", "1s");

        var status = await BackupTestSupport.WaitForStatusAsync(cluster, 1, s => s["backup"]?["failed"]?.GetValue<long>() >= 2, TimeSpan.FromSeconds(90));

        status["backup"]!["lastOutcome"]!.GetValue<string>().Should().Be("failed");
        status["backup"]!["lastError"]!.GetValue<string>().Should().NotBeNullOrWhiteSpace();
        status["backup"]!["succeeded"]!.GetValue<long>().Should().Be(0);
        await cluster.PutWithRetryAsync(1, "still", "serving");
        (await cluster.GetAsync(1, "still")).Should().Be("serving");
        await cluster.Member(1).WaitForOutputAsync("keeps serving and tries again");
        var metrics = await cluster.Client.GetStringAsync(new Uri(cluster.Url(1), "metrics"));
        metrics.Should().Contain("kvdb_backups{outcome=\"failed\"}");
    }
}
