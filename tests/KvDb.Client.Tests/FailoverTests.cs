// The client across a kill -9 of the leader: writers keep writing through the survivors and
// every acknowledged write is applied exactly once; a watch on the killed member resumes on
// another with no gap and no duplicate.

namespace KvDb.Client.Tests;

[Collection(ClientClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class FailoverTests
{
    private static readonly string[] FastFailover = ["--in-memory", "--election-timeout", "500ms", "--request-timeout", "3s"];

    private static KvClient NewClient(IEnumerable<Uri> endpoints, TestMeters? meters = null) => new(new KvClientOptions
    {
        Endpoints = [.. endpoints],
        RequestTimeout = TimeSpan.FromSeconds(5),
        OperationTimeout = TimeSpan.FromSeconds(60),
        MeterFactory = meters?.Factory,
    });

    [Fact]
    public async Task Every_write_acknowledged_across_a_kill_9_of_the_leader_is_applied_exactly_once()
    {
        await using var cluster = await KvdbCluster.StartAsync(3, FastFailover);
        var leader = await cluster.WaitForLeaderAsync();
        var survivors = new[] { 1, 2, 3 }.Where(id => id != leader).ToArray();
        using var meters = new TestMeters();
        await using var client = NewClient([cluster.Url(leader), .. survivors.Select(cluster.Url)], meters);
        var start = (await client.ReadRangePageAsync("w/", limit: 1)).Revision;

        // Four writers, twenty distinct keys each; the leader dies while writes are in flight.
        var acknowledged = new Dictionary<string, long>();
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                var key = $"w/{w}-{i:D2}";
                var revision = await client.PutAsync(key, key);
                lock (acknowledged)
                    acknowledged.Add(key, revision);
            }
        })).ToArray();
        await Eventually.WaitUntilAsync(() => { lock (acknowledged) return acknowledged.Count >= 20 || writers.Any(w => w.IsFaulted); }, "20 acknowledged writes", TimeSpan.FromSeconds(60));
        await cluster.Member(leader).KillAsync();
        await Task.WhenAll(writers);

        acknowledged.Should().HaveCount(80, "the client carries every write through the survivors");
        foreach (var (key, revision) in acknowledged)
        {
            var entry = await client.GetAsync(key);
            entry.Should().NotBeNull(key);
            entry!.ValueAsString().Should().Be(key);
            entry.Revision.Should().Be(revision, $"{key} was written once: a second application would have moved its revision");
        }

        // The change history holds every applied write: each key once.
        var last = acknowledged.Values.Max();
        var puts = new List<string>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var e in client.WatchAsync("w/", start, new WatchOptions { Prefix = true, IncludeProgress = true }, stop.Token))
        {
            if (e.Type is WatchEventType.Put)
                puts.Add(e.Key);
            if (e.Revision >= last && e.Type is WatchEventType.Progress)
                break;
        }

        puts.Should().BeEquivalentTo(acknowledged.Keys, "every acknowledged write was applied exactly once");
        meters.Total("kvdb.client.failovers").Should().BeGreaterThan(0, "requests to the dead leader moved to another member");
    }

    [Fact]
    public async Task A_watch_on_a_killed_member_resumes_on_another_without_a_gap_or_a_duplicate()
    {
        await using var cluster = await KvdbCluster.StartAsync(3, FastFailover);
        var victim = await cluster.WaitForLeaderAsync();
        var survivors = new[] { 1, 2, 3 }.Where(id => id != victim).ToArray();
        using var meters = new TestMeters();
        // The watcher's first member is the victim; the writer talks to the survivors.
        await using var watcher = NewClient([cluster.Url(victim), .. survivors.Select(cluster.Url)], meters);
        await using var writer = NewClient(survivors.Select(cluster.Url));
        var start = (await writer.ReadRangePageAsync("v/", limit: 1)).Revision;

        var received = new List<(long Revision, string Key)>();
        using var stop = new CancellationTokenSource();
        var watching = Task.Run(async () =>
        {
            await foreach (var e in watcher.WatchAsync("v/", start, new WatchOptions { Prefix = true, ProgressInterval = TimeSpan.FromMilliseconds(500) }, stop.Token))
            {
                lock (received)
                    received.Add((e.Revision, e.Key));
            }
        });

        var acknowledged = new Dictionary<string, long>();
        try
        {
            for (var i = 0; i < 40; i++)
            {
                if (i == 10)
                {
                    // The watch is live on the victim (it has delivered the first writes): kill it.
                    await Eventually.WaitUntilAsync(() => { lock (received) return received.Count >= 10 || watching.IsCompleted; }, "the first ten changes to reach the watch", TimeSpan.FromSeconds(30));
                    await cluster.Member(victim).KillAsync();
                }

                var key = $"v/{i:D2}";
                acknowledged[key] = await writer.PutAsync(key, key);
            }

            await Eventually.WaitUntilAsync(() => { lock (received) return received.Count >= acknowledged.Count || watching.IsCompleted; },
                "every acknowledged write to reach the watch", TimeSpan.FromSeconds(60), () => string.Join(",", received));
        }
        finally
        {
            await stop.CancelAsync();
            await watching.ContinueWith(static _ => { }, TaskScheduler.Default);
        }

        watching.Exception.Should().BeNull();
        lock (received)
        {
            received.Select(r => r.Revision).Should().BeInAscendingOrder("events arrive in revision order, across the reconnect too");
            received.Should().OnlyHaveUniqueItems("no change arrives twice");
            received.Should().BeEquivalentTo(acknowledged.Select(a => (a.Value, a.Key)), "no acknowledged change is missing");
        }

        meters.Total("kvdb.client.watch.reconnects").Should().BeGreaterThan(0);
    }
}
