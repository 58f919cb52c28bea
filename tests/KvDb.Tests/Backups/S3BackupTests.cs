// Scheduled backups to a real S3-compatible server (s3rver, see S3rverServer): a cluster with
// 50,000 keys, leases and lists backs up on its own; every member's data directory is deleted; a new
// cluster restored from s3://bucket/prefix/latest has the same state (a full listing of keys,
// values and revisions, the leases, and every list item). Skipped, never passed, when s3rver cannot run here.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace KvDb.Tests.Backups;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class S3BackupTests(S3rverServer s3, ITestOutputHelper output) : IClassFixture<S3rverServer>
{
    [SkippableFact]
    public async Task A_cluster_restored_from_the_latest_s3_backup_has_the_same_state()
    {
        Skip.If(s3.Unavailable is not null, s3.Unavailable);
        var prefix = $"cluster-{Guid.NewGuid():N}";
        await using var cluster = await KvdbCluster.StartAsync(3,
            "--backup-to", $"s3://{S3rverServer.Bucket}/{prefix}", "--backup-s3-endpoint", s3.Endpoint, "--backup-interval", "3s", "--backup-retain", "3");

        var load = Stopwatch.StartNew();
        var highest = await BackupTestSupport.LoadKeysAsync(cluster, "user/", 50_000, 100);
        highest = Math.Max(highest, await BackupTestSupport.LoadLeasesAsync(cluster, leases: 10, perLease: 20));
        highest = Math.Max(highest, await BackupTestSupport.LoadListsAsync(cluster, "orders", itemsPerList: 500));
        output.WriteLine($"loaded 50,000 keys, 10 leases with 200 keys and 3 lists of 500 items in {load.Elapsed.TotalSeconds:F1} s (revision {highest})");
        var before = await BackupTestSupport.FullStateAsync(cluster, 1);
        before.Count.Should().Be(50_000 + 200 + 1 + 1 + 1 + 3, "the keys, the leased keys, the start-up probe, the lease list, the keyspaces and the three lists");

        var leader = await cluster.WaitForLeaderAsync();
        var status = await BackupTestSupport.WaitForStatusAsync(cluster, leader, s => s["backup"]?["lastRevision"]?.GetValue<long>() >= highest, TimeSpan.FromSeconds(120));
        output.WriteLine($"backup: {status["backup"]!.ToJsonString()}");
        var uploaded = cluster.Member(leader).Output.Split('\n').Last(l => l.Contains("uploaded to", StringComparison.Ordinal));
        output.WriteLine(uploaded.Trim());

        var latest = $"s3://{S3rverServer.Bucket}/{prefix}/latest";
        var (statusExit, statusOutput) = await KvdbProcess.RunToExitAsync(["snapshot", "status", latest, "--backup-s3-endpoint", s3.Endpoint], TimeSpan.FromMinutes(2));
        statusExit.Should().Be(0, statusOutput);
        output.WriteLine(statusOutput);
        statusOutput.Should().Contain("keys        50201").And.Contain("leases      10").And.Contain("lists       3 in 1 keyspace(s), 1500 item(s)");

        // Stop the members between two uploads. s3rver writes an object in place, so an upload cut
        // off by kill -9 leaves the object it was replacing torn (S3 replaces objects atomically):
        // once the leader reports an attempt that ended a moment ago, the next is most of an
        // interval (3 s) away. The leader goes first, so no new leader is elected, and uploads,
        // before the others are gone.
        await BackupTestSupport.WaitForStatusAsync(cluster, leader, s => JustAttempted(s["backup"]), TimeSpan.FromSeconds(60));
        await cluster.Member(leader).KillAsync();
        foreach (var member in cluster.Members.Where(m => m.Id != leader))
            await member.KillAsync();
        var restore = Stopwatch.StartNew();
        foreach (var member in cluster.Members)
        {
            Directory.Delete(cluster.DataDir(member.Id), recursive: true);
            var (exit, text) = await KvdbProcess.RunToExitAsync(
                ["snapshot", "restore", latest, "--backup-s3-endpoint", s3.Endpoint, "--data-dir", cluster.DataDir(member.Id), "--id", member.Id.ToString(CultureInfo.InvariantCulture), "--cluster", cluster.ClusterList], TimeSpan.FromMinutes(2));
            exit.Should().Be(0, text);
            output.WriteLine(text.Trim());
        }

        output.WriteLine($"restored three members from S3 in {restore.Elapsed.TotalSeconds:F1} s");
        foreach (var member in cluster.Members.ToList())
            cluster.Restart(member.Id);
        await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
        await cluster.WaitUntilMemberServesAsync(1, TimeSpan.FromSeconds(60));

        var after = await BackupTestSupport.FullStateAsync(cluster, 1);
        after.Should().Equal(before, "the restored cluster lists every key, value, revision, lease and list item of the backup");
        await cluster.PutWithRetryAsync(2, "after-restore", "ok");
        (await cluster.GetAsync(3, "after-restore")).Should().Be("ok");
    }

    [SkippableFact]
    public async Task A_corrupted_backup_in_s3_is_refused_with_a_clear_message()
    {
        Skip.If(s3.Unavailable is not null, s3.Unavailable);
        var prefix = $"corrupt-{Guid.NewGuid():N}";
        await using var cluster = await KvdbCluster.StartAsync(1, "--backup-to", $"s3://{S3rverServer.Bucket}/{prefix}", "--backup-s3-endpoint", s3.Endpoint, "--backup-interval", "1h");
        await BackupTestSupport.WaitForStatusAsync(cluster, 1, s => s["backup"]?["succeeded"]?.GetValue<long>() >= 1, TimeSpan.FromSeconds(60));
        var file = Path.Combine(Path.GetTempPath(), $"kvdb-corrupt-{Guid.NewGuid():N}.snapshot");
        var dataDir = Path.Combine(Path.GetTempPath(), $"kvdb-corrupt-restore-{Guid.NewGuid():N}");
        try
        {
            // Download it through the store, damage one byte in the middle, put it back under a new name.
            using (var store = new KvDb.Node.Backups.S3BackupStore(KvDb.Node.Backups.BackupLocation.Parse($"s3://{S3rverServer.Bucket}/{prefix}"), s3.Endpoint))
            {
                var pointer = await KvDb.Node.Backups.BackupSet.ReadLatestAsync(store, CancellationToken.None);
                await using (var source = (await store.OpenAsync(pointer!.Name, CancellationToken.None))!)
                await using (var target = File.Create(file))
                    await source.CopyToAsync(target);
                var bytes = await File.ReadAllBytesAsync(file);
                bytes[bytes.Length / 2] ^= 0x40;
                await File.WriteAllBytesAsync(file, bytes);
                await store.PutFileAsync("damaged.snapshot", file, CancellationToken.None);
            }

            var source2 = $"s3://{S3rverServer.Bucket}/{prefix}/damaged.snapshot";
            var (exit, text) = await KvdbProcess.RunToExitAsync(["snapshot", "restore", source2, "--backup-s3-endpoint", s3.Endpoint, "--data-dir", dataDir, "--id", "1", "--cluster", "http://127.0.0.1:1"], TimeSpan.FromMinutes(2));
            exit.Should().Be(1, text);
            text.Should().Contain("not a usable kvdb backup");
            Directory.Exists(dataDir).Should().BeFalse();
            var (statusExit, statusText) = await KvdbProcess.RunToExitAsync(["snapshot", "status", file], TimeSpan.FromMinutes(2));
            statusExit.Should().Be(1, statusText);
            statusText.Should().Contain("not a usable kvdb backup");
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static bool JustAttempted(JsonNode? backup)
        => backup?["lastAttemptAt"]?.GetValue<string>() is { } text
           && DateTimeOffset.Parse(text, CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow - TimeSpan.FromMilliseconds(500);
}
