// Mutual exclusion across a leader kill: workers take a lock through random members, read a
// counter, and write counter+1 in a transaction fenced by the lock key's create revision (the
// fencing token), while the leader is killed with kill -9. Had two workers held the lock at
// once, both would read the same value and one increment would be lost: the final counter must
// equal the increments whose transactions succeeded. A transaction whose answer is lost is
// resent with its Idempotency-Key until its outcome is known, as a client must. Contenders
// whose requests failed leave keys behind that their 3 s leases clean up.
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using KvDb.Tests.Cluster;

namespace KvDb.Tests.Leases;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class LockFaultTests
{
    private const int Workers = 3;
    private const int IncrementsPerWorker = 8;

    [Fact]
    public async Task Fenced_increments_under_a_lock_are_never_lost_across_a_leader_kill()
    {
        await using var cluster = await KvdbCluster.StartAsync(3, "--election-timeout", "500ms", "--request-timeout", "3s");
        var leader = await cluster.WaitForLeaderAsync();
        var dead = 0;
        var done = 0;
        var succeeded = 0;
        var killer = Task.Run(async () =>
        {
            await Eventually.WaitUntilAsync(() => Volatile.Read(ref done) >= Workers * IncrementsPerWorker / 3, "a third of the increments", TimeSpan.FromSeconds(90));
            var current = await cluster.WaitForLeaderAsync();
            Volatile.Write(ref dead, current);
            await cluster.Member(current).KillAsync();
        });

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
            for (var n = 0; n < IncrementsPerWorker;)
            {
                DateTime.UtcNow.Should().BeBefore(deadline, "the workers must finish");
                var member = random.Next(1, 4);
                if (member == Volatile.Read(ref dead))
                    continue;
                try
                {
                    using var acquired = await cluster.Client.PostAsync(new Uri(cluster.Url(member), "v1/locks/counter?ttl=3s&timeout=20s"), null);
                    if (acquired.StatusCode != HttpStatusCode.OK)
                        continue;
                    var held = await acquired.Content.ReadFromJsonAsync<JsonElement>();
                    var key = held.GetProperty("key").GetString()!;
                    var token = held.GetProperty("revision").GetInt64();

                    var current = await cluster.GetAsync(member, "counter/value");
                    var value = current is null ? 0 : long.Parse(current);
                    var body = $$$"""
                        {"if": [{"key": "{{{key}}}", "target": "createRevision", "op": "==", "value": {{{token}}}}],
                         "then": [{"put": {"key": "counter/value", "value": "{{{value + 1}}}"}}]}
                        """;
                    if (await CommitAsync(cluster, member, body, $"inc-{worker}-{n}-{token}", () => Volatile.Read(ref dead), deadline))
                    {
                        Interlocked.Increment(ref succeeded);
                        n++;
                        Interlocked.Increment(ref done);
                    }

                    await cluster.Client.DeleteAsync(new Uri(cluster.Url(member), $"v1/locks/counter/{key}"));
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                }
            }
        })));
        await killer;

        var survivor = new[] { 1, 2, 3 }.First(id => id != dead);
        var final = long.Parse((await cluster.GetAsync(survivor, "counter/value"))!);
        final.Should().Be(succeeded, "every successful fenced increment was made by the only holder of the lock");
        succeeded.Should().Be(Workers * IncrementsPerWorker);
    }

    // Sends the fenced transaction until its outcome is known. A timeout or a dead member leaves
    // the outcome unknown (the write may have committed), so the same Idempotency-Key goes to
    // another member: the state machine applies it at most once and answers the first outcome.
    private static async Task<bool> CommitAsync(KvdbCluster cluster, int member, string body, string idempotencyKey, Func<int> dead, DateTime deadline)
    {
        for (var attempt = 0; ; attempt++)
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "a fenced transaction must reach a known outcome");
            if (attempt > 0)
                member = member % 3 + 1;
            if (member == dead())
                continue;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(cluster.Url(member), "v1/txn")) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.Add("Idempotency-Key", idempotencyKey);
                using var written = await cluster.Client.SendAsync(request);
                if (written.StatusCode == HttpStatusCode.OK)
                    return (await written.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("succeeded").GetBoolean();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
        }
    }
}
