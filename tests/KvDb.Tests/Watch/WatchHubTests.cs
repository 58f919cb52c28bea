// Many watches on one member through the watch hub: each gets exactly the changes to its keys,
// in revision order; a client that stops reading falls behind the hub and still gets every
// change exactly once when it reads again; one that never reads is cut off.
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using KvDb.Tests.Observability;

namespace KvDb.Tests.Watch;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class WatchHubTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    // A client whose sockets take little from the member, so a watch it does not read fills up fast.
    private static HttpClient SmallBufferClient() => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, token) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 4096 };
            await socket.ConnectAsync(context.DnsEndPoint, token);
            return new NetworkStream(socket, ownsSocket: true);
        },
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private static async Task<StreamReader> OpenAsync(HttpClient client, Uri member, string query)
    {
        var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(member, "v1/watch?" + query)), HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        return new StreamReader(await response.Content.ReadAsStreamAsync());
    }

    private static async Task<long> PutAsync(HttpClient client, Uri member, string key, string value)
    {
        using var response = await client.PutAsync(new Uri(member, "v1/kv/" + key), new StringContent(value));
        response.StatusCode.Should().Be(HttpStatusCode.NoContent);
        return long.Parse(response.Headers.GetValues("X-Kvdb-Revision").Single(), CultureInfo.InvariantCulture);
    }

    // Reads events until a progress event at or past `through`; the (revision, key) of each change.
    private static async Task<List<(long Revision, string Key)>> ReadThroughAsync(StreamReader reader, long through)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        var changes = new List<(long, string)>();
        while (true)
        {
            var line = await reader.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException("the watch ended");
            var json = JsonDocument.Parse(line).RootElement;
            var revision = json.GetProperty("revision").GetInt64();
            if (json.GetProperty("type").GetString() == "progress")
            {
                if (revision >= through)
                    return changes;
                continue;
            }

            changes.Add((revision, json.GetProperty("key").GetString()!));
        }
    }

    // Changes in revision order; within one revision (writes that shared a log entry), by key,
    // since their order there is the entry's and the acknowledgements do not tell it.
    private static List<(long Revision, string Key)> InOrder(IEnumerable<(long Revision, string Key)> changes)
        => changes.OrderBy(c => c.Revision).ThenBy(c => c.Key, StringComparer.Ordinal).ToList();

    private static async Task<List<(long Revision, string Key)>> ReadInOrderAsync(StreamReader reader, long through)
    {
        var changes = await ReadThroughAsync(reader, through);
        changes.Select(c => c.Revision).Should().BeInAscendingOrder();
        return InOrder(changes);
    }

    private static async Task ParallelPutsAsync(HttpClient client, Uri member, int count, int concurrency, Func<int, (string Key, string Value)> write, List<(long Revision, string Key)> acked)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var (key, value) = write(i);
                var revision = await PutAsync(client, member, key, value);
                lock (acked)
                    acked.Add((revision, key));
            }
        }));
    }

    [Fact]
    public async Task Forty_watches_over_eight_prefixes_each_get_exactly_their_changes_in_order()
    {
        await using var cluster = await KvdbCluster.StartAsync(1, "--in-memory");
        var member = cluster.Url(1);
        using var client = cluster.NewClient(Timeout.InfiniteTimeSpan);
        var start = await PutAsync(client, member, "hub-start", "x");
        var watches = new List<(int Prefix, StreamReader Reader)>();
        for (var w = 0; w < 40; w++)
            watches.Add((w % 8, await OpenAsync(client, member, $"prefix=hub/{w % 8}/&after={start}")));

        // Status counts them, and once they have caught up the hub feeds every one.
        await Eventually.WaitUntilAsync(async () =>
        {
            var watch = JsonDocument.Parse(await client.GetStringAsync(new Uri(member, "v1/status"))).RootElement.GetProperty("watch");
            return watch.GetProperty("open").GetInt32() == 40 && watch.GetProperty("attached").GetInt32() == 40;
        }, "status counts 40 open watches, all fed by the hub", Deadline);

        var acked = new List<(long Revision, string Key)>();
        await ParallelPutsAsync(client, member, 400, 8, i => ($"hub/{i * 7 % 8}/k{i % 13}", $"v{i}"), acked);
        var last = acked.Max(a => a.Revision);

        foreach (var (prefix, reader) in watches)
        {
            var expected = InOrder(acked.Where(a => a.Key.StartsWith($"hub/{prefix}/", StringComparison.Ordinal)));
            (await ReadInOrderAsync(reader, last)).Should().Equal(expected, $"the watch on hub/{prefix}/ gets each of its changes once, in order");
            reader.Dispose();
        }
    }

    [Fact]
    public async Task A_client_that_stops_reading_falls_behind_and_still_gets_every_change_once()
    {
        await using var cluster = await KvdbCluster.StartAsync(1, "--in-memory");
        var member = cluster.Url(1);
        using var client = cluster.NewClient(Timeout.InfiniteTimeSpan);
        using var slow = SmallBufferClient();
        var start = await PutAsync(client, member, "behind-start", "x");
        using var reader = await OpenAsync(slow, member, $"prefix=behind/&after={start}");

        // 3000 changes of 4 KiB: far more than the sockets, Kestrel and the hub's 1 MiB queue hold.
        var value = new string('v', 4096);
        var acked = new List<(long Revision, string Key)>();
        await ParallelPutsAsync(client, member, 3000, 16, i => ($"behind/{i % 50}", value), acked);
        var metrics = PrometheusText.Parse(await client.GetStringAsync(new Uri(member, "metrics")));
        metrics.Value("kvdb_watch_fell_behind").Should().BeGreaterThanOrEqualTo(1, "the watch could not keep its place in the hub");

        (await ReadInOrderAsync(reader, acked.Max(a => a.Revision))).Should().Equal(InOrder(acked), "it caught up by itself without a gap or a duplicate");
    }

    [Fact]
    public async Task A_client_that_never_reads_is_cut_off_and_counted()
    {
        await using var cluster = await KvdbCluster.StartAsync(1, "--in-memory", "--watch-slow-reader-timeout", "1s");
        var member = cluster.Url(1);
        using var client = cluster.NewClient(TimeSpan.FromSeconds(30));
        using var slow = SmallBufferClient();
        var reader = await OpenAsync(slow, member, "prefix=stuck/");

        // Writes 50 changes at a time until the member counts the watch as cut off.
        var value = new string('s', 16 * 1024);
        var i = 0;
        await Eventually.WaitUntilAsync(async () =>
        {
            for (var n = 0; n < 50; n++, i++)
                await PutAsync(client, member, $"stuck/{i % 20}", value);
            var metrics = PrometheusText.Parse(await client.GetStringAsync(new Uri(member, "metrics")));
            return metrics.Value("kvdb_watch_cut_off") >= 1;
        }, "a watch that is never read to be cut off", Deadline, () => $"{i} changes written");

        // What the kernel buffered still arrives, then the stream ends.
        using var timeout = new CancellationTokenSource(Deadline);
        var ended = false;
        try
        {
            while (await reader.ReadLineAsync(timeout.Token) is not null)
            {
            }

            ended = true;
        }
        catch (IOException)
        {
            ended = true;
        }

        ended.Should().BeTrue();
        reader.Dispose();
    }
}
