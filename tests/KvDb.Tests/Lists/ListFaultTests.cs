// Lists under faults: producers append through random members while the leader is killed with
// kill -9 (and restarted) and then frozen with SIGSTOP past the election timeout (and thawed),
// and readers page through lists linearizably all along. A producer whose append has no answer
// resends the same request (same nonce, or same Idempotency-Key) until one comes, as a client
// must. Checked:
//  - Exactly once: each producer's own list (nonces) holds its items 1..N once each, in order;
//    the shared list (no nonces, Idempotency-Key) holds each acknowledged item once, and a
//    replayed answer names the offset the item really has.
//  - Real time: an append acknowledged before another was sent has the lower offset.
//  - Reads never go back: a read that started after an append was acknowledged sees it, and
//    every page is gap-free from offset 0.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace KvDb.Tests.Lists;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class ListFaultTests(ITestOutputHelper output)
{
    private const int Producers = 3;

    private sealed record Acknowledged(string Value, long Offset, long SentAt, long AnsweredAt);

    [Fact]
    public async Task Appends_stay_exactly_once_in_order_and_visible_across_a_leader_kill_and_a_paused_leader()
    {
        await using var cluster = await KvdbCluster.StartAsync(3, "--election-timeout", "500ms", "--request-timeout", "3s");
        var leader = await cluster.WaitForLeaderAsync();
        (await cluster.Client.PutAsync(new Uri(cluster.Url(leader), "v1/keyspaces/faults"), null)).StatusCode.Should().Be(HttpStatusCode.Created);
        using var http = cluster.NewClient(TimeSpan.FromSeconds(4));
        var clock = Stopwatch.StartNew();
        var shared = new ConcurrentBag<Acknowledged>();
        var sent = new int[Producers];
        var readsChecked = 0;
        var down = 0;
        using var stop = new CancellationTokenSource();

        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            var random = new Random(p);
            for (var n = 1; !stop.IsCancellationRequested; n++)
            {
                // Its own list, exactly once by nonce; then the shared list, by Idempotency-Key.
                await AppendUntilAnsweredAsync(http, cluster, random, () => Volatile.Read(ref down), $"own-{p}", $$"""{"items": [{"value": "{{n}}", "nonce": {{n}}}]}""", null);
                var started = clock.ElapsedTicks;
                var answer = await AppendUntilAnsweredAsync(http, cluster, random, () => Volatile.Read(ref down), "shared", $$"""{"items": [{"value": "p{{p}}-{{n}}"}]}""", $"shared-{p}-{n}");
                shared.Add(new Acknowledged($"p{p}-{n}", answer.GetProperty("firstOffset").GetInt64(), started, clock.ElapsedTicks));
                sent[p] = n;
            }
        })).ToArray();

        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(async () =>
        {
            var random = new Random(100 + r);
            while (!stop.IsCancellationRequested)
            {
                var member = random.Next(1, 4);
                if (member == Volatile.Read(ref down))
                    continue;
                var started = clock.ElapsedTicks;
                var mustSee = shared.Where(a => a.AnsweredAt < started).Select(a => a.Offset).DefaultIfEmpty(-1).Max();
                var from = Math.Max(0, mustSee - 20);
                JsonElement page;
                try
                {
                    page = JsonDocument.Parse(await http.GetStringAsync(new Uri(cluster.Url(member), $"v1/lists/faults/shared?startOffset={from}&limit=100"))).RootElement;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    continue;
                }

                var offsets = page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("offset").GetInt64()).ToList();
                offsets.Should().Equal(Enumerable.Range(0, offsets.Count).Select(i => from + i), "a page has no gap and no duplicate");
                if (mustSee >= 0)
                    offsets.Should().Contain(mustSee, $"a linearizable read from member {member} must see every append acknowledged before it started");
                Interlocked.Increment(ref readsChecked);
            }
        })).ToArray();

        try
        {
            await Eventually.WaitUntilAsync(() => shared.Count >= 20, "appends before the first fault", TimeSpan.FromSeconds(60));
            leader = await cluster.WaitForLeaderAsync();
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1}s kill -9 leader {leader}");
            Volatile.Write(ref down, leader);
            await cluster.Member(leader).KillAsync();
            await cluster.WaitForLeaderAsync(except: leader);
            var before = shared.Count;
            await Eventually.WaitUntilAsync(() => shared.Count >= before + 20, "appends under the new leader", TimeSpan.FromSeconds(60));
            cluster.Restart(leader);
            await cluster.WaitUntilMemberServesAsync(leader);
            Volatile.Write(ref down, 0);

            leader = await cluster.WaitForLeaderAsync();
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1}s SIGSTOP leader {leader}");
            cluster.Member(leader).Pause();
            await cluster.WaitForLeaderAsync(except: leader);
            before = shared.Count;
            await Eventually.WaitUntilAsync(() => shared.Count >= before + 20, "appends while the old leader is frozen", TimeSpan.FromSeconds(60));
            cluster.Member(leader).Resume();
            await cluster.WaitUntilMemberServesAsync(leader);
            before = shared.Count;
            await Eventually.WaitUntilAsync(() => shared.Count >= before + 20, "appends after the thaw", TimeSpan.FromSeconds(60));
        }
        finally
        {
            foreach (var member in cluster.Members)
                member.Resume();
            await stop.CancelAsync();
            await Task.WhenAll(producers.Concat(readers));
        }

        var survivor = await cluster.WaitForLeaderAsync();
        for (var p = 0; p < Producers; p++)
        {
            var own = await ReadAllAsync(http, cluster.Url(survivor), $"own-{p}");
            own.Select(i => i.Value).Should().Equal(Enumerable.Range(1, sent[p]).Select(n => n.ToString(CultureInfo.InvariantCulture)), $"producer {p}'s nonces keep each of its items once, in order");
        }

        var stored = await ReadAllAsync(http, cluster.Url(survivor), "shared");
        stored.Select(i => i.Value).Should().OnlyHaveUniqueItems("a retried append with its Idempotency-Key is stored once");
        var offsetOf = stored.ToDictionary(i => i.Value, i => i.Offset);
        foreach (var ack in shared)
            offsetOf.Should().Contain(ack.Value, ack.Offset, "an acknowledged append is stored at the offset its answer gave");
        // No append may have a lower offset than one acknowledged before it was sent.
        var earliestAnswerAbove = long.MaxValue;
        foreach (var ack in shared.OrderByDescending(a => a.Offset))
        {
            ack.SentAt.Should().BeLessThanOrEqualTo(earliestAnswerAbove, $"'{ack.Value}' (offset {ack.Offset}) was sent after an append with a higher offset was acknowledged");
            earliestAnswerAbove = Math.Min(earliestAnswerAbove, ack.AnsweredAt);
        }

        output.WriteLine($"{shared.Count} shared appends acknowledged, {sent.Sum()} own appends, {readsChecked} reads checked");
        readsChecked.Should().BeGreaterThan(10);
    }

    // Sends the append to members in turn until one answers 200; the same body and key each time.
    private static async Task<JsonElement> AppendUntilAnsweredAsync(HttpClient http, KvdbCluster cluster, Random random, Func<int> down, string key, string body, string? idempotencyKey)
    {
        var member = random.Next(1, 4);
        var answer = await Eventually.ValueAsync(
            async () =>
            {
                var to = member;
                member = member % 3 + 1;
                if (to == down())
                    return (JsonElement?)null;
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(cluster.Url(to), $"v1/lists/faults/{key}")) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                if (idempotencyKey is not null)
                    request.Headers.Add("Idempotency-Key", idempotencyKey);
                using var response = await http.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.OK)
                    return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
                response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, await response.Content.ReadAsStringAsync());
                return null;
            },
            answer => answer is not null,
            $"some member to take the append to {key}",
            TimeSpan.FromSeconds(60),
            retryOn: e => e is HttpRequestException or TaskCanceledException);
        return answer!.Value;
    }

    private static async Task<List<(string Value, long Offset)>> ReadAllAsync(HttpClient http, Uri member, string key)
    {
        var items = new List<(string, long)>();
        string? continuation = null;
        do
        {
            var query = "limit=1000" + (continuation is null ? "" : "&continuation=" + Uri.EscapeDataString(continuation));
            var page = JsonDocument.Parse(await http.GetStringAsync(new Uri(member, $"v1/lists/faults/{key}?{query}"))).RootElement;
            items.AddRange(page.GetProperty("items").EnumerateArray().Select(i => (i.GetProperty("value").GetString()!, i.GetProperty("offset").GetInt64())));
            continuation = page.GetProperty("continuation").GetString();
        }
        while (continuation is not null);
        return items;
    }
}
