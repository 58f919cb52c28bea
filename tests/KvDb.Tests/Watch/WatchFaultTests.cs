// A watch across faults: a client watches a follower while the leader is killed with kill -9,
// then reconnects to another member with after= its last revision. Every acknowledged write
// must arrive exactly once, in revision order, with no duplicate across the reconnect.
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace KvDb.Tests.Watch;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class WatchFaultTests
{
    private sealed class Watcher : IAsyncDisposable
    {
        private readonly CancellationTokenSource stop = new();
        private readonly Task reading;

        public Watcher(KvdbCluster cluster, int member, long after, List<long> revisions)
        {
            reading = Task.Run(async () =>
            {
                using var response = await cluster.Client.GetAsync(new Uri(cluster.Url(member), $"v1/watch?prefix=kill/&after={after}"), HttpCompletionOption.ResponseHeadersRead, stop.Token);
                response.StatusCode.Should().Be(HttpStatusCode.OK);
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop.Token));
                while (await reader.ReadLineAsync(stop.Token) is { } line)
                {
                    var e = JsonDocument.Parse(line).RootElement;
                    if (e.GetProperty("type").GetString() == "put")
                    {
                        lock (revisions)
                            revisions.Add(e.GetProperty("revision").GetInt64());
                    }
                }
            });
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            await reading.ContinueWith(static _ => { }, TaskScheduler.Default);
            stop.Dispose();
        }
    }

    private static async Task<long?> TryPutAsync(KvdbCluster cluster, int member, string key)
    {
        try
        {
            using var response = await cluster.Client.PutAsync(new Uri(cluster.Url(member), "v1/kv/" + key), new StringContent(key));
            return response.StatusCode == HttpStatusCode.NoContent ? long.Parse(response.Headers.GetValues("X-Kvdb-Revision").Single(), CultureInfo.InvariantCulture) : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException)
        {
            return null;
        }
    }

    [Fact]
    public async Task Acknowledged_writes_arrive_exactly_once_across_a_leader_kill_and_a_reconnect()
    {
        await using var cluster = await KvdbCluster.StartAsync(3, "--election-timeout", "500ms", "--request-timeout", "3s");
        var leader = await cluster.WaitForLeaderAsync();
        var watched = new[] { 1, 2, 3 }.First(id => id != leader);
        var other = new[] { 1, 2, 3 }.First(id => id != leader && id != watched);

        var received = new List<long>();
        var acknowledged = new List<long>();
        var start = long.Parse((await cluster.Client.GetAsync(new Uri(cluster.Url(watched), "v1/kv?prefix=kill/"))).Headers.GetValues("X-Kvdb-Index").Single(), CultureInfo.InvariantCulture);
        var watcher = new Watcher(cluster, watched, start, received);
        try
        {
            for (var i = 0; i < 60; i++)
            {
                if (i == 20)
                    await cluster.Member(leader).KillAsync();
                if (i == 40)
                {
                    // Reconnect to the other member after the last revision received.
                    await watcher.DisposeAsync();
                    long last;
                    lock (received)
                        last = received.Count > 0 ? received[^1] : start;
                    watcher = new Watcher(cluster, other, last, received);
                }

                // Alternates between the two survivors until one acknowledges the write.
                var target = i % 2 == 0 ? watched : other;
                var key = $"kill/k{i}";
                var revision = await Eventually.ValueAsync(
                    async () =>
                    {
                        var to = target;
                        target = target == watched ? other : watched;
                        return await TryPutAsync(cluster, to, key);
                    },
                    r => r is not null,
                    $"member {watched} or {other} to acknowledge {key}",
                    TimeSpan.FromSeconds(30),
                    cluster.Describe);
                acknowledged.Add(revision!.Value);
            }

            acknowledged.Should().HaveCountGreaterThan(40, "the two survivors keep a majority");
            await Eventually.WaitUntilAsync(() =>
            {
                lock (received)
                    return acknowledged.All(received.Contains);
            }, "every acknowledged write to reach the watcher", TimeSpan.FromSeconds(30), () => $"received {string.Join(",", received)}; acknowledged {string.Join(",", acknowledged)}");
        }
        finally
        {
            await watcher.DisposeAsync();
        }

        lock (received)
        {
            received.Should().BeInAscendingOrder("events arrive in revision order");
            received.Should().OnlyHaveUniqueItems("no change arrives twice, across the reconnect too");
        }
    }
}
