// Mutual exclusion across a leader kill: workers take a lock through random members, read a
// counter, and write counter+1 in a transaction fenced by the lock key's create revision (the
// fencing token), while the leader is killed with kill -9. Had two workers held the lock at
// once, both would read the same value and one increment would be lost: the final counter must
// equal the increments whose transactions succeeded. A transaction whose answer is lost is
// resent with its Idempotency-Key until its outcome is known, as a client must. Contenders
// whose requests failed leave keys behind that their 3 s leases clean up.
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace KvDb.Tests.Locks;

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
            var n = 0;

            // Each poll is one try at the lock through a random member and, once held, one fenced increment.
            await Eventually.WaitUntilAsync(async () =>
            {
                var member = random.Next(1, 4);
                if (member == Volatile.Read(ref dead))
                    return false;
                try
                {
                    using var acquired = await cluster.Client.PostAsync(new Uri(cluster.Url(member), "v1/locks/counter?ttl=3s&timeout=20s"), null);
                    if (acquired.StatusCode != HttpStatusCode.OK)
                        return false;
                    var held = await acquired.Content.ReadFromJsonAsync<JsonElement>();
                    var key = held.GetProperty("key").GetString()!;
                    var token = held.GetProperty("revision").GetInt64();

                    var current = await cluster.GetAsync(member, "counter/value");
                    var value = current is null ? 0 : long.Parse(current, CultureInfo.InvariantCulture);
                    var body = $$$"""
                        {"if": [{"key": "{{{key}}}", "target": "createRevision", "op": "==", "value": {{{token}}}}],
                         "then": [{"put": {"key": "counter/value", "value": "{{{value + 1}}}"}}]}
                        """;
                    if (await CommitAsync(cluster, member, body, $"inc-{worker}-{n}-{token}", () => Volatile.Read(ref dead)))
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

                return n == IncrementsPerWorker;
            }, $"worker {worker} to finish its {IncrementsPerWorker} increments", TimeSpan.FromSeconds(120), () => $"{n} done\n{cluster.Describe()}");
        })));
        await killer;

        var survivor = new[] { 1, 2, 3 }.First(id => id != dead);
        var final = long.Parse((await cluster.GetAsync(survivor, "counter/value"))!, CultureInfo.InvariantCulture);
        final.Should().Be(succeeded, "every successful fenced increment was made by the only holder of the lock");
        succeeded.Should().Be(Workers * IncrementsPerWorker);
    }

    // Sends the fenced transaction until its outcome is known. A timeout or a dead member leaves
    // the outcome unknown (the write may have committed), so the same Idempotency-Key goes to
    // another member: the state machine applies it at most once and answers the first outcome.
    private static async Task<bool> CommitAsync(KvdbCluster cluster, int member, string body, string idempotencyKey, Func<int> dead)
    {
        var succeeded = await Eventually.ValueAsync(
            async () =>
            {
                var to = member;
                member = member % 3 + 1;
                if (to == dead())
                    return (bool?)null;
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(cluster.Url(to), "v1/txn")) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.Add("Idempotency-Key", idempotencyKey);
                using var written = await cluster.Client.SendAsync(request);
                return written.StatusCode == HttpStatusCode.OK ? (bool?)(await written.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("succeeded").GetBoolean() : null;
            },
            outcome => outcome is not null,
            $"fenced transaction {idempotencyKey} to reach a known outcome",
            TimeSpan.FromSeconds(60),
            cluster.Describe,
            retryOn: e => e is HttpRequestException or TaskCanceledException);
        return succeeded!.Value;
    }
}
