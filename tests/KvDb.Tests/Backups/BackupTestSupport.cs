// Helpers of the backup cluster tests: the whole state as the HTTP API lists it (every key with
// its value and revision, every lease), loading many keys quickly, and polling /v1/status.
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KvDb.Tests.Backups;

internal static class BackupTestSupport
{
    /// <summary>Every key of the cluster as member <paramref name="id"/> lists it (one JSON line per key: key, value, revision), then the leases.</summary>
    public static async Task<List<string>> FullStateAsync(KvdbCluster cluster, int id)
    {
        var lines = new List<string>();
        string? continuation = null;
        do
        {
            var query = "v1/kv?prefix=&limit=1000" + (continuation is null ? "" : "&continuation=" + Uri.EscapeDataString(continuation));
            var page = JsonNode.Parse(await cluster.Client.GetStringAsync(new Uri(cluster.Url(id), query)))!;
            foreach (var item in page["items"]!.AsArray())
                lines.Add(item!.ToJsonString());
            continuation = page["continuation"]?.GetValue<string>();
        }
        while (continuation is not null);

        lines.Add(await cluster.Client.GetStringAsync(new Uri(cluster.Url(id), "v1/leases")));

        // Keyspaces with their counters, and every item of every list LoadListsAsync wrote.
        var keyspaces = JsonNode.Parse(await cluster.Client.GetStringAsync(new Uri(cluster.Url(id), "v1/keyspaces")))!["keyspaces"]!.AsArray();
        lines.Add(keyspaces.ToJsonString());
        foreach (var keyspace in keyspaces.Select(k => k!["name"]!.GetValue<string>()))
        {
            for (var l = 0; l < ListsPerKeyspace; l++)
                lines.Add(JsonNode.Parse(await cluster.Client.GetStringAsync(new Uri(cluster.Url(id), $"v1/lists/{keyspace}/list{l}?limit=1000")))!["items"]!.ToJsonString());
        }

        return lines;
    }

    private const int ListsPerKeyspace = 3;

    /// <summary>Creates keyspace <paramref name="keyspace"/> and appends <paramref name="itemsPerList"/> items with nonces to each of its lists; returns the highest revision.</summary>
    public static async Task<long> LoadListsAsync(KvdbCluster cluster, string keyspace, int itemsPerList)
    {
        (await cluster.Client.PutAsync(new Uri(cluster.Url(1), $"v1/keyspaces/{keyspace}"), null)).StatusCode.Should().Be(HttpStatusCode.Created);
        long highest = 0;
        for (var l = 0; l < ListsPerKeyspace; l++)
        {
            var items = new JsonArray([.. Enumerable.Range(0, itemsPerList).Select(i => new JsonObject { ["value"] = $"item {i} of list {l}", ["nonce"] = i + 1 })]);
            using var appended = await cluster.Client.PostAsync(new Uri(cluster.Url(1 + (l % cluster.Members.Count)), $"v1/lists/{keyspace}/list{l}"), new StringContent(new JsonObject { ["items"] = items }.ToJsonString(), Encoding.UTF8, "application/json"));
            appended.StatusCode.Should().Be(HttpStatusCode.OK);
            InterlockedMax(ref highest, JsonNode.Parse(await appended.Content.ReadAsStringAsync())!["revision"]!.GetValue<long>());
        }

        return highest;
    }

    /// <summary>Writes <paramref name="count"/> keys through transactions of 100 puts, 8 at a time, spread over the members; returns the highest revision.</summary>
    public static async Task<long> LoadKeysAsync(KvdbCluster cluster, string prefix, int count, int valueBytes)
    {
        long highest = 0;
        var batches = Enumerable.Range(0, (count + 99) / 100).ToList();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (batch, _) =>
        {
            var puts = Enumerable.Range(batch * 100, Math.Min(100, count - (batch * 100)))
                .Select(i => new JsonObject { ["put"] = new JsonObject { ["key"] = $"{prefix}{i:D6}", ["value"] = $"value {i} ".PadRight(valueBytes, 'x') } });
            var body = new JsonObject { ["if"] = new JsonArray(), ["then"] = new JsonArray([.. puts]) }.ToJsonString();
            var member = (batch % cluster.Members.Count) + 1;
            var revision = await Eventually.ValueAsync(
                async () =>
                {
                    using var response = await cluster.Client.PostAsync(new Uri(cluster.Url(member), "v1/txn"), new StringContent(body, Encoding.UTF8, "application/json"));
                    if (response.StatusCode is HttpStatusCode.OK)
                        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["revision"]!.GetValue<long>();
                    if (response.StatusCode is not HttpStatusCode.ServiceUnavailable)
                        throw new HttpRequestException($"txn on member {member}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    return (long?)null;
                },
                revision => revision is not null,
                $"member {member} to take batch {batch} of {prefix} (503 means no leader yet)",
                KvdbCluster.Patience,
                cluster.Describe,
                retryOn: _ => false,
                interval: TimeSpan.FromMilliseconds(50));
            InterlockedMax(ref highest, revision!.Value);
        });
        return highest;
    }

    /// <summary>Grants <paramref name="leases"/> one-hour leases and attaches <paramref name="perLease"/> keys to each; returns the highest revision.</summary>
    public static async Task<long> LoadLeasesAsync(KvdbCluster cluster, int leases, int perLease)
    {
        long highest = 0;
        for (var l = 0; l < leases; l++)
        {
            using var grant = await cluster.Client.PostAsync(new Uri(cluster.Url(1), "v1/leases"), new StringContent("""{"ttl": "1h"}"""));
            grant.StatusCode.Should().Be(HttpStatusCode.Created);
            var lease = JsonNode.Parse(await grant.Content.ReadAsStringAsync())!["id"]!.GetValue<long>();
            for (var k = 0; k < perLease; k++)
            {
                using var put = await cluster.Client.PutAsync(new Uri(cluster.Url(1 + (k % cluster.Members.Count)), $"v1/kv/leased/{l}/{k}?lease={lease}"), new StringContent($"held by {lease}"));
                put.StatusCode.Should().Be(HttpStatusCode.NoContent);
                InterlockedMax(ref highest, long.Parse(put.Headers.GetValues("X-Kvdb-Revision").Single(), System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return highest;
    }

    /// <summary>Member <paramref name="id"/>'s <c>/v1/status</c>.</summary>
    public static async Task<JsonNode> StatusAsync(KvdbCluster cluster, int id)
        => JsonNode.Parse(await cluster.Client.GetStringAsync(new Uri(cluster.Url(id), "v1/status")))!;

    /// <summary>Polls <paramref name="id"/>'s status until <paramref name="condition"/> holds; throws at the deadline with the last status.</summary>
    public static Task<JsonNode> WaitForStatusAsync(KvdbCluster cluster, int id, Func<JsonNode, bool> condition, TimeSpan timeout)
        => Eventually.ValueAsync(
            () => StatusAsync(cluster, id),
            condition,
            $"member {id}'s status to match",
            timeout,
            cluster.Describe,
            retryOn: e => e is HttpRequestException,
            interval: TimeSpan.FromMilliseconds(100));

    private static void InterlockedMax(ref long target, long value)
    {
        for (var current = Interlocked.Read(ref target); value > current; current = Interlocked.Read(ref target))
        {
            if (Interlocked.CompareExchange(ref target, value, current) == current)
                return;
        }
    }

    public static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();
}
