// Crash durability under concurrent load: many clients write at once, so their writes share
// Raft log entries (group commit), and every member is killed with SIGKILL while writes are
// still being acknowledged. After a restart, every write that was acknowledged (204) must be
// there, with exactly its value, on every member.
// Invariants:
//  - Each write has its own key and a unique value, so "readable after the restart" is exact:
//    no later write can hide a lost one.
//  - The kill comes while writers are busy, without waiting for anything to settle: the last
//    acknowledgements are milliseconds old when the members die.
//  - The run is bounded: writers stop after a fixed time or count, whichever comes first.
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using KvDb.Tests.Observability;
using Xunit.Abstractions;

namespace KvDb.Tests.Raft;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class CrashDurabilityTests(ITestOutputHelper output)
{
    private const int Writers = 24;

    [Fact]
    public async Task Killing_every_member_while_concurrent_writes_are_acknowledged_loses_none_of_them()
    {
        await using var cluster = await KvdbCluster.StartAsync(3);
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Writers, ConnectTimeout = TimeSpan.FromSeconds(2) })
        {
            Timeout = TimeSpan.FromSeconds(10),
        };

        var acknowledged = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, Writers).Select(writer => Task.Run(async () =>
        {
            for (var seq = 0; !stop.IsCancellationRequested; seq++)
            {
                var key = $"crash/w{writer}/{seq}";
                var value = $"{writer}:{seq}:{Guid.NewGuid():N}";
                try
                {
                    using var response = await client.PutAsync(cluster.KeyUrl(1 + (writer + seq) % 3, key), new StringContent(value), CancellationToken.None);
                    if (response.StatusCode is HttpStatusCode.NoContent)
                        acknowledged[key] = value;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // The members are being killed: the outcome of this write is unknown, and
                    // the test only holds kvdb to what it acknowledged.
                    if (!stop.IsCancellationRequested)
                        await Task.Delay(10);
                }
            }
        })).ToArray();

        // Let acknowledgements pile up, then kill every member while writes are in flight. Fewer
        // than 600 in 20 s is no failure (the kill comes anyway); the count is checked below.
        await Eventually.TryWaitUntilAsync(() => acknowledged.Count >= 600, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(20));
        var batching = await BatchingAsync(cluster);
        var ackedBeforeKill = acknowledged.Count;
        await Task.WhenAll(cluster.Members.Select(m => m.KillAsync()));
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        output.WriteLine($"{ackedBeforeKill} writes acknowledged when the kill began, {acknowledged.Count} in all; {batching.Writes} writes in {batching.Entries} proposed entries before the kill");
        acknowledged.Count.Should().BeGreaterThan(100, $"the writers must have had time to write\n{cluster.Describe()}");
        batching.Writes.Should().BeGreaterThan(batching.Entries, "concurrent writes must share log entries (group commit), or this test does not test batched writes");

        foreach (var id in new[] { 1, 2, 3 })
            cluster.Restart(id);
        await cluster.WaitUntilServingAsync();

        // Every acknowledged write, read back linearizably through each member in turn.
        var missing = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(acknowledged.Select((pair, i) => (pair.Key, pair.Value, Member: 1 + i % 3)), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (write, _) =>
        {
            var seen = await cluster.GetAsync(write.Member, write.Key);
            if (seen != write.Value)
                missing.Add($"{write.Key}: acknowledged {write.Value}, member {write.Member} reads {seen ?? "nothing"}");
        });
        missing.Should().BeEmpty($"every acknowledged write survives kill -9 of every member\n{cluster.Describe()}");
    }

    [Fact]
    public async Task A_follower_has_an_entry_on_disk_before_the_leader_counts_its_acknowledgement()
    {
        // With one follower frozen, the leader's majority is itself and the other follower, so
        // every 204 rests on that follower's acknowledgement. The follower's raft/checkpoint
        // (the last index it flushed) must already cover the write when the client hears 204:
        // otherwise a kill -9 or a power loss would make it forget an entry it acknowledged.
        await using var cluster = await KvdbCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var followers = new[] { 1, 2, 3 }.Where(id => id != leader).ToArray();
        var checkpoint = Path.Combine(cluster.DataDir(followers[0]), "raft", "checkpoint");
        var behind = new List<string>();
        cluster.Member(followers[1]).Pause();
        try
        {
            for (var i = 0; i < 150; i++)
            {
                using var response = await cluster.Client.PutAsync(new Uri(cluster.Url(leader), $"v1/kv/durable-ack-{i}"), new StringContent("v"));
                response.StatusCode.Should().Be(HttpStatusCode.NoContent, cluster.Describe());
                var revision = long.Parse(response.Headers.GetValues("X-Kvdb-Revision").Single(), CultureInfo.InvariantCulture);
                var flushed = LastFlushedIndex(checkpoint);
                if (flushed < revision)
                    behind.Add($"write at index {revision} acknowledged while member {followers[0]} had flushed up to {flushed}");
            }
        }
        finally
        {
            cluster.Member(followers[1]).Resume();
        }

        behind.Should().BeEmpty("a follower acknowledges an append only once it is on disk");
    }

    // The last index recorded in DotNext's raft/checkpoint: version u32, committed i64, last i64.
    private static long LastFlushedIndex(string checkpoint)
    {
        using var file = new FileStream(checkpoint, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        Span<byte> bytes = stackalloc byte[20];
        return file.ReadAtLeast(bytes, 20, throwOnEndOfStream: false) == 20 ? System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(bytes[12..]) : 0;
    }

    // Writes and log entries proposed so far, summed over the members (only a leader proposes).
    private static async Task<(double Writes, double Entries)> BatchingAsync(KvdbCluster cluster)
    {
        double writes = 0, entries = 0;
        foreach (var member in cluster.Members)
        {
            var metrics = PrometheusText.Parse(await cluster.Client.GetStringAsync(new Uri(cluster.Url(member.Id), "metrics")));
            writes += metrics.Value("kvdb_raft_proposal_batch_writes_sum") ?? 0;
            entries += metrics.Value("kvdb_raft_proposal_batch_writes_count") ?? 0;
        }

        return (writes, entries);
    }
}
