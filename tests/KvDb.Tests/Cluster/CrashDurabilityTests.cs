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
using System.Net;
using KvDb.Tests.Operations;
using Xunit.Abstractions;

namespace KvDb.Tests.Cluster;

[Collection(ClusterCollection.Name)]
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

        // Let acknowledgements pile up, then kill every member while writes are in flight.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (acknowledged.Count < 600 && DateTime.UtcNow < deadline)
            await Task.Delay(20);
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
