// kv-db.txt's walk-through against three real members, plus the write and restart paths a
// user relies on: writes through followers, restarts (graceful and kill -9), concurrency.
using System.Net;

namespace KvDb.Tests.Raft;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class FaultToleranceTests
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Walkthrough_from_kv_db_readme_keeps_serving_with_one_member_down()
    {
        await using var cluster = await KvdbCluster.StartAsync();

        (await cluster.PutAsync(1, "my-key", "foo")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await cluster.GetAsync(2, "my-key")).Should().Be("foo");
        (await cluster.GetAsync(3, "my-key")).Should().Be("foo");

        (await cluster.Member(2).StopAsync(StopTimeout)).Should().Be(0, "SIGTERM is a graceful shutdown");
        await cluster.PutWithRetryAsync(1, "my-key", "bar");
        (await cluster.GetAsync(3, "my-key")).Should().Be("bar", cluster.Describe());

        cluster.Restart(2);
        await cluster.WaitForValueAsync(2, "my-key", "bar");
    }

    [Fact]
    public async Task A_write_sent_to_a_follower_is_answered_after_it_is_applied_there()
    {
        await using var cluster = await KvdbCluster.StartAsync();

        foreach (var id in new[] { 1, 2, 3 })
        {
            var key = $"written-through-{id}";
            (await cluster.PutAsync(id, key, $"value-{id}")).StatusCode.Should().Be(HttpStatusCode.NoContent);

            // Read-your-writes on the member that took the write, even with a local read.
            (await cluster.GetAsync(id, key, "consistency=local")).Should().Be($"value-{id}");
            foreach (var other in new[] { 1, 2, 3 })
                (await cluster.GetAsync(other, key)).Should().Be($"value-{id}");
        }
    }

    [Fact]
    public async Task Restarting_every_member_keeps_acknowledged_writes_after_sigterm_and_after_kill_9()
    {
        await using var cluster = await KvdbCluster.StartAsync();
        for (var i = 0; i < 50; i++)
            (await cluster.PutAsync(1 + i % 3, $"durable-{i}", $"v{i}")).StatusCode.Should().Be(HttpStatusCode.NoContent);

        foreach (var member in cluster.Members)
            (await member.StopAsync(StopTimeout)).Should().Be(0);
        foreach (var id in new[] { 1, 2, 3 })
            cluster.Restart(id);
        await cluster.WaitUntilServingAsync();
        for (var i = 0; i < 50; i++)
            (await cluster.GetAsync(1 + (i + 1) % 3, $"durable-{i}")).Should().Be($"v{i}");

        // kill -9 right after the acknowledgements: nothing gets a chance to flush on the way out.
        for (var i = 0; i < 50; i++)
            (await cluster.PutAsync(1 + i % 3, $"crash-{i}", $"c{i}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        foreach (var member in cluster.Members)
            await member.KillAsync();
        foreach (var id in new[] { 1, 2, 3 })
            cluster.Restart(id);
        await cluster.WaitUntilServingAsync();
        for (var i = 0; i < 50; i++)
        {
            (await cluster.GetAsync(1 + i % 3, $"crash-{i}")).Should().Be($"c{i}", cluster.Describe());
            (await cluster.GetAsync(1 + i % 3, $"durable-{i}")).Should().Be($"v{i}");
        }
    }

    [Fact]
    public async Task Eight_concurrent_clients_writing_200_keys_each_lose_nothing()
    {
        await using var cluster = await KvdbCluster.StartAsync();

        var clients = Enumerable.Range(0, 8).Select(client => Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                using var response = await cluster.PutAsync(1 + (client + i) % 3, $"c{client}/k{i}", $"{client}:{i}");
                response.StatusCode.Should().Be(HttpStatusCode.NoContent);
            }
        }));
        await Task.WhenAll(clients);

        for (var client = 0; client < 8; client++)
        {
            for (var i = 0; i < 200; i++)
                (await cluster.GetAsync(1 + i % 3, $"c{client}/k{i}")).Should().Be($"{client}:{i}");
        }
    }

    [Fact]
    public async Task A_member_that_missed_compacted_log_catches_up_by_snapshot()
    {
        await using var cluster = await KvdbCluster.StartAsync(3, "--snapshot-interval", "20");
        (await cluster.Member(3).StopAsync(StopTimeout)).Should().Be(0);

        // Sequential writes: each is its own log entry, so the log passes several snapshots.
        for (var i = 0; i < 120; i++)
            await cluster.PutWithRetryAsync(1 + i % 2, $"behind-{i}", $"b{i}");

        cluster.Restart(3);
        await cluster.WaitForValueAsync(3, "behind-119", "b119", query: "consistency=local");
        for (var i = 0; i < 120; i++)
            (await cluster.GetAsync(3, $"behind-{i}", "consistency=local")).Should().Be($"b{i}");
        // The leader's log before the snapshot was compacted away.
        await cluster.Member(3).WaitForOutputAsync("Snapshot installed");

        // Reading the log from its start says how far it was compacted instead of failing.
        var log = (await cluster.Client.GetStringAsync(new Uri(cluster.Url(1), "v1/log?from=1&limit=50"))).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        log[0].Should().StartWith("{\"compacted\":{\"through\":");
        log.Skip(1).Should().OnlyContain(line => line.StartsWith("{\"index\":"));
    }

    [Fact]
    public async Task A_snapshot_install_whose_answer_the_leader_missed_does_not_stall_the_member()
    {
        await using var cluster = await KvdbCluster.StartAsync(3, "--snapshot-interval", "20");
        (await cluster.Member(3).StopAsync(StopTimeout)).Should().Be(0);
        // 70 writes: snapshots at 20, 40 and 60, and entries after the last one.
        for (var i = 0; i < 70; i++)
            await cluster.PutWithRetryAsync(1 + i % 2, $"missed-{i}", $"m{i}");

        // Member 3 answers its install after the leader's request timed out (0.9 s with the
        // default 1 s election timeout): the leader sends the same snapshot again, which member 3
        // already holds. The writes after the snapshot must still reach it.
        cluster.Restart(3, "--throttle-snapshot-install", "2s");
        await cluster.Member(3).WaitForOutputAsync("Snapshot installed");
        await cluster.WaitForValueAsync(3, "missed-69", "m69", query: "consistency=local");
        await cluster.Member(3).WaitForOutputAsync("which this member already holds");
    }

    [Fact]
    public async Task Without_a_quorum_writes_and_linearizable_reads_fail_fast_with_503_and_retry_after()
    {
        await using var cluster = await KvdbCluster.StartAsync(3, "--request-timeout", "1s");
        await cluster.PutWithRetryAsync(1, "k", "v");
        await cluster.Member(2).KillAsync();
        await cluster.Member(3).KillAsync();

        using var put = await cluster.PutAsync(1, "k", "w");
        put.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        put.Headers.RetryAfter.Should().NotBeNull();
        put.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");

        using var get = await cluster.Client.GetAsync(cluster.KeyUrl(1, "k"));
        get.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        get.Headers.RetryAfter.Should().NotBeNull();

        // A local read still answers from this member's applied state.
        (await cluster.GetAsync(1, "k", "consistency=local")).Should().Be("v");
    }
}
