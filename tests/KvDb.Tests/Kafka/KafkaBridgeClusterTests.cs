// The Kafka bridge against a real Kafka protocol implementation (librdkafka's mock cluster, in
// this process, reached over loopback) and a real three-member kvdb cluster. A producer writes
// keyed records with headers to a three-partition topic; the bridge consumes them into lists.
// Checked, after every scenario, for every record produced:
//  - it is in its list (keyspace from a header, key = the record key) exactly once, the list in
//    the order the records were produced (= partition order for one key), with the record's
//    offset as nonce and its header's timestamp;
//  - a record without a keyspace header is in its partition's dead-letter list exactly once;
//  - at the end the group's committed offsets are the partitions' ends.
// Scenarios: one bridge in this process; a bridge process killed with kill -9 mid-stream and
// restarted (it committed nothing, so it replays everything and kvdb skips what it had);
// the kvdb leader killed with kill -9 mid-stream; two bridge processes in one group, the
// second joining mid-stream (a rebalance hands partitions over).
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using KvDb.Bench;
using KvDb.Client;
using KvDb.Kafka;
using Xunit.Abstractions;

namespace KvDb.Tests.Kafka;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class KafkaBridgeClusterTests(ITestOutputHelper output)
{
    private const string Topic = "inbound";
    private const int Partitions = 3;
    private const int Keys = 12;
    private const long BaseTimestamp = 1_700_000_000_000;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private sealed record Produced(string Key, string Value, int Partition, long Offset, long Timestamp, bool Dead);

    [Fact]
    public async Task Every_record_lands_once_in_partition_order_with_its_parsed_keyspace_key_nonce_and_timestamp()
    {
        using var kafka = MockKafkaCluster.Start();
        kafka.CreateTopic(Topic, Partitions);
        await using var cluster = await KvdbCluster.StartAsync(3);
        await using var client = Client(cluster);
        using var producer = kafka.Producer();
        var produced = await ProduceAsync(producer, 0, 60);

        var log = new StringWriter();
        var settings = BridgeSettings.Parse(Config(kafka, cluster, "in-process", commitSeconds: 1));
        var bridge = new KafkaBridge(settings, new KvClientSink(client), TextWriter.Synchronized(log));
        using var stop = new CancellationTokenSource();
        using var abort = new CancellationTokenSource();
        var running = bridge.RunAsync(stop.Token, abort.Token);
        try
        {
            await WaitForAllAsync(client, produced, () => log.ToString());
            await Eventually.WaitUntilAsync(
                () => kafka.Committed("in-process", Topic, Partitions).SequenceEqual(Ends(produced)),
                "the bridge to commit every partition to its end (offset_commit_interval_seconds = 1)",
                Patience,
                () => $"committed {string.Join(",", kafka.Committed("in-process", Topic, Partitions))}, ends {string.Join(",", Ends(produced))}\n{log}");
        }
        finally
        {
            await stop.CancelAsync();
            await running.WaitAsync(Patience);
        }

        await VerifyAsync(client, produced);
        bridge.Metrics.Consumed.Should().Be(produced.Count);
        bridge.Metrics.Appended.Should().Be(produced.Count(static p => !p.Dead));
        bridge.Metrics.DeadLettered.Should().Be(produced.Count(static p => p.Dead));
        bridge.Metrics.Skipped.Should().Be(0);
    }

    [Fact]
    public async Task A_bridge_killed_mid_stream_and_restarted_loses_nothing_and_doubles_nothing()
    {
        using var kafka = MockKafkaCluster.Start();
        kafka.CreateTopic(Topic, Partitions);
        await using var cluster = await KvdbCluster.StartAsync(3);
        await using var client = Client(cluster);
        using var producer = kafka.Producer();
        var dir = Directory.CreateTempSubdirectory("kvdb-bridge-");
        try
        {
            // Commits only at shutdown: the killed bridge committed nothing, so its successor
            // replays every record the first one appended, and kvdb must skip each of them.
            var config = Path.Combine(dir.FullName, "bridge.toml");
            await File.WriteAllTextAsync(config, Config(kafka, cluster, "killed", commitSeconds: 3600));
            var produced = await ProduceAsync(producer, 0, 100);

            await using (var first = new KvdbProcess(101, ["kafka-bridge", "--config", config]))
            {
                first.Start();
                await Eventually.WaitUntilAsync(async () => (await client.GetKeyspaceAsync("events"))?.Items > 0, "the first bridge to append something", Patience, () => first.Output);
                await first.KillAsync();
                output.WriteLine($"killed after {(await client.GetKeyspaceAsync("events"))?.Items} items:\n{first.Output}");
            }

            produced.AddRange(await ProduceAsync(producer, 100, 150));
            await using var second = new KvdbProcess(102, ["kafka-bridge", "--config", config]);
            second.Start();
            await WaitForAllAsync(client, produced, () => second.Output);
            (await second.StopAsync(Patience)).Should().Be(0, second.Output);

            await VerifyAsync(client, produced);
            kafka.Committed("killed", Topic, Partitions).Should().Equal(Ends(produced), "SIGTERM flushes and commits");
            Skipped(second.Output).Should().BePositive("the restarted bridge replayed what the killed one appended:\n" + second.Output);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Killing_the_kvdb_leader_mid_stream_loses_nothing_and_doubles_nothing()
    {
        using var kafka = MockKafkaCluster.Start();
        kafka.CreateTopic(Topic, Partitions);
        await using var cluster = await KvdbCluster.StartAsync(3, "--election-timeout", "500ms", "--request-timeout", "3s");
        await using var client = Client(cluster);
        using var producer = kafka.Producer();
        var dir = Directory.CreateTempSubdirectory("kvdb-bridge-");
        try
        {
            var config = Path.Combine(dir.FullName, "bridge.toml");
            await File.WriteAllTextAsync(config, Config(kafka, cluster, "leader-kill", commitSeconds: 1));
            var produced = await ProduceAsync(producer, 0, 100);
            await using var bridge = new KvdbProcess(103, ["kafka-bridge", "--config", config]);
            bridge.Start();
            await Eventually.WaitUntilAsync(async () => (await client.GetKeyspaceAsync("events"))?.Items > 0, "the bridge to append something", Patience, () => bridge.Output);

            var leader = await cluster.WaitForLeaderAsync();
            await cluster.Member(leader).KillAsync();
            produced.AddRange(await ProduceAsync(producer, 100, 150));
            await WaitForAllAsync(client, produced, () => bridge.Output);
            cluster.Restart(leader);
            (await bridge.StopAsync(Patience)).Should().Be(0, bridge.Output);

            await VerifyAsync(client, produced);
            kafka.Committed("leader-kill", Topic, Partitions).Should().Equal(Ends(produced));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Two_bridges_in_one_group_share_the_partitions_and_hand_them_over_without_loss_or_doubles()
    {
        using var kafka = MockKafkaCluster.Start();
        kafka.CreateTopic(Topic, Partitions);
        await using var cluster = await KvdbCluster.StartAsync(3);
        await using var client = Client(cluster);
        using var producer = kafka.Producer();
        var dir = Directory.CreateTempSubdirectory("kvdb-bridge-");
        try
        {
            var config = Path.Combine(dir.FullName, "bridge.toml");
            // Commits only on revocation and at shutdown, so an offset committed while both run
            // was committed by the first bridge's revocation handler.
            await File.WriteAllTextAsync(config, Config(kafka, cluster, "pair", commitSeconds: 3600));
            var produced = await ProduceAsync(producer, 0, 100);
            await using var first = new KvdbProcess(104, ["kafka-bridge", "--config", config]);
            first.Start();
            await Eventually.WaitUntilAsync(async () => (await client.GetKeyspaceAsync("events"))?.Items > 0, "the first bridge to append something", Patience, () => first.Output);
            var appendedBeforeRebalance = (await client.GetKeyspaceAsync("events"))!.Items;

            await using var second = new KvdbProcess(105, ["kafka-bridge", "--config", config]);
            second.Start();
            await first.WaitForOutputAsync("kafka-bridge: revoked", Patience);
            // A real broker takes a commit from the current generation while the group prepares
            // its rebalance; librdkafka's mock refuses it (REBALANCE_IN_PROGRESS while its group is
            // JOINING), so against the mock the test can only see that the handler tried.
            var committedAtRevocation = kafka.Committed("pair", Topic, Partitions).Sum(static offset => Math.Max(0, offset));
            var refusedByTheMock = first.Output.Contains("failed: Broker: Group rebalance in progress", StringComparison.Ordinal);
            (committedAtRevocation >= appendedBeforeRebalance || refusedByTheMock).Should().BeTrue(
                $"the first bridge flushed and committed what it had consumed before letting its partitions go (committed {committedAtRevocation}, appended {appendedBeforeRebalance}):\n{first.Output}");
            await Eventually.WaitUntilAsync(
                () => AssignedSomething(first.Output) && AssignedSomething(second.Output),
                "both bridges to own partitions after the rebalance",
                Patience,
                () => $"first:\n{first.Output}\nsecond:\n{second.Output}");
            produced.AddRange(await ProduceAsync(producer, 100, 150));
            await WaitForAllAsync(client, produced, () => $"first:\n{first.Output}\nsecond:\n{second.Output}");

            // Each stop flushes and commits what that bridge owns (the kill-and-restart test checks
            // that a stop commits to the end). Here the second's leaving makes the first take its
            // partitions back, replaying from the last commit the mock accepted, so the offsets
            // may end below the ends (a successor replays and skips the rest), never above them.
            (await second.StopAsync(Patience)).Should().Be(0, second.Output);
            (await first.StopAsync(Patience)).Should().Be(0, first.Output);

            await VerifyAsync(client, produced);
            var ends = Ends(produced);
            kafka.Committed("pair", Topic, Partitions).Zip(ends).Should().OnlyContain(static p => p.First <= p.Second, "no offset is committed past what was appended");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static bool AssignedSomething(string output)
        => output.Split('\n').Any(static l => l.Contains("kafka-bridge: assigned ", StringComparison.Ordinal) && !l.Contains("assigned nothing", StringComparison.Ordinal));

    private static KvClient Client(KvdbCluster cluster)
    {
        var options = new KvClientOptions();
        foreach (var id in Enumerable.Range(1, cluster.Members.Count))
            options.Endpoints.Add(cluster.Url(id));
        return new KvClient(options);
    }

    // Small batches and short intervals, so a run has many appends and commits.
    private static string Config(MockKafkaCluster kafka, KvdbCluster cluster, string group, int commitSeconds)
    {
        var endpoints = string.Join(", ", Enumerable.Range(1, cluster.Members.Count).Select(id => $"\"{cluster.Url(id)}\""));
        return $"""
            [kvdb]
            endpoints = [{endpoints}]

            [batcher]
            writer_thread_count = 2
            batch_check_interval_millis = 20
            batch_flush_interval_millis = 50
            batch_flush_item_count_threshold = 40

            [kafka]
            topic = "{Topic}"
            group.id = "{group}"
            bootstrap.servers = "{kafka.BootstrapServers}"
            auto.offset.reset = earliest
            offset_commit_interval_seconds = {commitSeconds}
            session.timeout.ms = 6000
            heartbeat.interval.ms = 500

            [parser]
            keyspace_parser = "RecordHeader(keyspace)"
            key_parser = "RecordKey"
            nonce_parser = "RecordOffset"
            timestamp_parser = "RecordHeaderUtf8(ts)"
            dead_letter_keyspace = "dead"
            """;
    }

    // Rounds [from, to) of one record per key; every 25th round adds a record without a keyspace header.
    private static async Task<List<Produced>> ProduceAsync(IProducer<byte[]?, byte[]?> producer, int from, int to)
    {
        var sends = new List<(string Key, string Value, long Timestamp, bool Dead, Task<DeliveryResult<byte[]?, byte[]?>> Delivery)>();
        for (var round = from; round < to; round++)
        {
            var timestamp = BaseTimestamp + round;
            for (var k = 0; k < Keys; k++)
            {
                var key = $"user-{k}";
                var value = $"{key}:{round}";
                var headers = new Headers { { "keyspace", "events"u8.ToArray() }, { "ts", Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture)) } };
                sends.Add((key, value, timestamp, false, producer.ProduceAsync(Topic, new Message<byte[]?, byte[]?> { Key = Encoding.UTF8.GetBytes(key), Value = Encoding.UTF8.GetBytes(value), Headers = headers })));
            }

            if (round % 25 == 0)
            {
                var key = $"bad-{round}";
                sends.Add((key, key, 0, true, producer.ProduceAsync(Topic, new Message<byte[]?, byte[]?> { Key = Encoding.UTF8.GetBytes(key), Value = Encoding.UTF8.GetBytes(key) })));
            }
        }

        await Task.WhenAll(sends.Select(static s => s.Delivery));
        return sends.Select(static s => new Produced(s.Key, s.Value, s.Delivery.Result.Partition.Value, s.Delivery.Result.Offset.Value, s.Timestamp, s.Dead)).ToList();
    }

    private static List<long> Ends(List<Produced> produced)
        => Enumerable.Range(0, Partitions).Select(p => produced.Where(r => r.Partition == p).Select(static r => r.Offset + 1).DefaultIfEmpty(-1001).Max()).ToList();

    private static async Task WaitForAllAsync(KvClient client, List<Produced> produced, Func<string> log)
    {
        var live = produced.Count(static p => !p.Dead);
        var dead = produced.Count(static p => p.Dead);
        long? seenLive = null;
        long? seenDead = null;
        await Eventually.WaitUntilAsync(
            async () =>
            {
                seenLive = (await client.GetKeyspaceAsync("events"))?.Items;
                seenDead = (await client.GetKeyspaceAsync("dead"))?.Items;
                return seenLive >= live && seenDead >= dead;
            },
            $"{live} items in keyspace events and {dead} in dead",
            Patience,
            () => $"saw {seenLive} and {seenDead}; the bridge said:\n{log()}",
            TimeSpan.FromMilliseconds(200));
    }

    private static async Task VerifyAsync(KvClient client, List<Produced> produced)
    {
        foreach (var key in produced.Where(static p => !p.Dead).GroupBy(static p => p.Key))
        {
            var items = await ReadAsync(client, "events", key.Key);
            var expected = key.OrderBy(static p => p.Timestamp).ToList();
            items.Select(static i => i.ValueAsString()).Should().Equal(expected.Select(static p => p.Value), $"list {key.Key} holds each of its records once, in order");
            items.Select(static i => i.Nonce).Should().Equal(expected.Select(static p => (UInt128?)(UInt128)p.Offset), "the nonce is the record's offset");
            items.Select(static i => i.TimestampMs).Should().Equal(expected.Select(static p => p.Timestamp), "the timestamp is the ts header");
        }

        foreach (var partition in produced.Where(static p => p.Dead).GroupBy(static p => p.Partition))
        {
            var items = await ReadAsync(client, "dead", $"{Topic}/{partition.Key}");
            items.Select(static i => i.Nonce).Should().Equal(partition.OrderBy(static p => p.Offset).Select(static p => (UInt128?)(UInt128)p.Offset), "each unparseable record is dead-lettered once");
            items.Should().OnlyContain(static i => DeadLetters.ReasonOf(i.Value)!.Contains("keyspace_parser", StringComparison.Ordinal));
        }
    }

    private static async Task<List<ListItem>> ReadAsync(KvClient client, string keyspace, string key)
    {
        var items = new List<ListItem>();
        await foreach (var item in client.ReadListAsync(keyspace, key, new ListReadOptions { PageSize = 1000 }))
            items.Add(item);
        return items;
    }

    private static long Skipped(string output)
    {
        var line = output.Split('\n').LastOrDefault(static l => l.Contains("kafka-bridge: stopped:", StringComparison.Ordinal)) ?? "";
        var at = line.IndexOf(" appended, ", StringComparison.Ordinal);
        if (at < 0)
            return -1;
        var rest = line[(at + " appended, ".Length)..];
        return long.Parse(rest[..rest.IndexOf(' ', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
    }
}
