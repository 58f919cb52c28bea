// Transactions across a leader kill: four clients move amounts between four accounts with
// compare-on-revision transactions through random members, retrying with the same
// Idempotency-Key until a member answers, while the leader is killed with kill -9.
// Every read of all accounts (itself one transaction) must sum to the initial total, and each
// client's transfer counter, written by the same transactions, must equal the transfers it was
// told succeeded: none lost, none applied twice.
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace KvDb.Tests.Transactions;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class TxnFaultTests
{
    private const int Accounts = 4;
    private const int Clients = 4;
    private const int TransfersPerClient = 25;
    private const long Total = Accounts * 100;

    private static string Account(int i) => $"bank/acct{i}";

    private static string Counter(int client) => $"bank/count{client}";

    // Sends the transaction to members in turn (same Idempotency-Key) until one answers 200.
    private static async Task<JsonElement> TransactAsync(KvdbCluster cluster, string body, string idempotencyKey, Random random, HashSet<int> dead)
    {
        var member = random.Next(1, 4);
        var answer = await Eventually.ValueAsync(
            async () =>
            {
                var to = member;
                member = member % 3 + 1;
                if (dead.Contains(to))
                    return (JsonElement?)null;
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(cluster.Url(to), "v1/txn")) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.Add("Idempotency-Key", idempotencyKey);
                using var response = await cluster.Client.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.OK)
                    return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
                response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, await response.Content.ReadAsStringAsync());
                return null;
            },
            answer => answer is not null,
            $"some member to answer transaction {idempotencyKey}",
            TimeSpan.FromSeconds(45),
            retryOn: e => e is HttpRequestException or TaskCanceledException);
        return answer!.Value;
    }

    private static string ReadAll(int client)
        => JsonSerializer.Serialize(new { then = Enumerable.Range(0, Accounts).Select(i => new { get = new { key = Account(i) } }).Append(new { get = new { key = Counter(client) } }) });

    [Fact]
    public async Task Transfers_stay_atomic_and_exactly_once_across_a_leader_kill()
    {
        await using var cluster = await KvdbCluster.StartAsync(3, "--election-timeout", "500ms", "--request-timeout", "3s");
        var leader = await cluster.WaitForLeaderAsync();
        for (var i = 0; i < Accounts; i++)
            (await cluster.PutAsync(leader, Account(i), "100")).StatusCode.Should().Be(HttpStatusCode.NoContent);

        var dead = new HashSet<int>();
        var transfersDone = 0;
        var acknowledged = new int[Clients];
        var killer = Task.Run(async () =>
        {
            await Eventually.WaitUntilAsync(() => Volatile.Read(ref transfersDone) >= Clients * TransfersPerClient / 3, "a third of the transfers", TimeSpan.FromSeconds(60));
            var current = await cluster.WaitForLeaderAsync();
            lock (dead)
                dead.Add(current);
            await cluster.Member(current).KillAsync();
        });

        await Task.WhenAll(Enumerable.Range(0, Clients).Select(client => Task.Run(async () =>
        {
            var random = new Random(client);
            for (var n = 0; n < TransfersPerClient; n++)
            {
                HashSet<int> down;
                lock (dead)
                    down = [.. dead];
                var read = await TransactAsync(cluster, ReadAll(client), $"read-{client}-{n}", random, down);
                var items = read.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("get")).ToArray();
                var balances = items.Take(Accounts).Select(i => long.Parse(i.GetProperty("value").GetString()!, CultureInfo.InvariantCulture)).ToArray();
                balances.Sum().Should().Be(Total, "a read of every account in one transaction sees whole transfers only");
                var counter = items[Accounts];
                var count = counter.ValueKind is JsonValueKind.Null ? 0 : long.Parse(counter.GetProperty("value").GetString()!, CultureInfo.InvariantCulture);
                count.Should().Be(acknowledged[client], "the counter moves only with transfers this client was told succeeded");

                var from = random.Next(Accounts);
                var to = (from + 1 + random.Next(Accounts - 1)) % Accounts;
                var amount = Math.Min(balances[from], random.Next(1, 20));
                long Revision(JsonElement item) => item.ValueKind is JsonValueKind.Null ? 0 : item.GetProperty("revision").GetInt64();
                var transfer = JsonSerializer.Serialize(new
                {
                    @if = new object[]
                    {
                        new { key = Account(from), target = "revision", op = "==", value = Revision(items[from]) },
                        new { key = Account(to), target = "revision", op = "==", value = Revision(items[to]) },
                        new { key = Counter(client), target = "revision", op = "==", value = Revision(counter) },
                    },
                    then = new object[]
                    {
                        new { put = new { key = Account(from), value = (balances[from] - amount).ToString(CultureInfo.InvariantCulture) } },
                        new { put = new { key = Account(to), value = (balances[to] + amount).ToString(CultureInfo.InvariantCulture) } },
                        new { put = new { key = Counter(client), value = (count + 1).ToString(CultureInfo.InvariantCulture) } },
                    },
                });
                var outcome = await TransactAsync(cluster, transfer, $"transfer-{client}-{n}", random, down);
                if (outcome.GetProperty("succeeded").GetBoolean())
                    acknowledged[client]++;
                Interlocked.Increment(ref transfersDone);
            }
        })));
        await killer;

        var final = await TransactAsync(cluster, JsonSerializer.Serialize(new
        {
            then = Enumerable.Range(0, Accounts).Select(i => (object)new { get = new { key = Account(i) } })
                .Concat(Enumerable.Range(0, Clients).Select(c => (object)new { get = new { key = Counter(c) } })),
        }), "final", new Random(0), dead);
        var results = final.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("get")).ToArray();
        results.Take(Accounts).Sum(i => long.Parse(i.GetProperty("value").GetString()!, CultureInfo.InvariantCulture)).Should().Be(Total);
        for (var client = 0; client < Clients; client++)
        {
            var counter = results[Accounts + client];
            (counter.ValueKind is JsonValueKind.Null ? 0 : long.Parse(counter.GetProperty("value").GetString()!, CultureInfo.InvariantCulture))
                .Should().Be(acknowledged[client], $"client {client}'s acknowledged transfers were each applied exactly once");
        }

        acknowledged.Sum().Should().BeGreaterThan(0);
    }
}
