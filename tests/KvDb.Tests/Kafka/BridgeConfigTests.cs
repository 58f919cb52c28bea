// bridge.toml as kvdb kafka-bridge reads it: klstore's own example configuration is accepted
// with its values, what is left out takes klstore's defaults, and each kind of mistake is refused
// with the setting named (in-process for the many cases; through the kvdb executable for exit 2).
using Confluent.Kafka;
using KvDb.Kafka;

namespace KvDb.Tests.Kafka;

public sealed class BridgeConfigTests
{
    // klstore's example, [s3] replaced by [kvdb].
    internal const string KlstoreExample = """
        [kvdb]
        endpoints = ["http://127.0.0.1:12380", "http://127.0.0.1:22380"]

        [batcher]
        writer_thread_count=1
        writer_thread_queue_capacity=4096
        batch_check_interval_millis=100
        batch_flush_interval_millis=1000
        batch_flush_item_count_threshold=100000
        batch_flush_size_threshold=1000000

        [kafka]
        topic="inbound"
        offset_commit_interval_seconds=60
        group.id="test_group"
        bootstrap.servers="127.0.0.1:9092"
        auto.offset.reset=earliest

        [parser]
        nonce_parser="RecordOffset"
        timestamp_parser="None"
        keyspace_parser="Static(my_keyspace)"
        key_parser="RecordPartition"
        """;

    private const string Minimal = """
        [kvdb]
        endpoints = "http://127.0.0.1:12380"
        [kafka]
        topic = "inbound"
        group.id = "g"
        bootstrap.servers = "127.0.0.1:9092"
        [parser]
        keyspace_parser = "Static(events)"
        """;

    [Fact]
    public void Klstores_example_is_read_with_its_values()
    {
        var settings = BridgeSettings.Parse(KlstoreExample);

        settings.Kvdb.Endpoints.Select(static u => u.ToString()).Should().Equal("http://127.0.0.1:12380/", "http://127.0.0.1:22380/");
        settings.Batcher.Should().BeEquivalentTo(new BatcherSettings
        {
            WriterThreadCount = 1,
            WriterThreadQueueCapacity = 4096,
            BatchCheckInterval = TimeSpan.FromMilliseconds(100),
            BatchFlushInterval = TimeSpan.FromSeconds(1),
            BatchFlushItemCountThreshold = 100_000,
            BatchFlushSizeThreshold = 1_000_000,
        });
        settings.Kafka.Topics.Should().Equal("inbound");
        settings.Kafka.OffsetCommitInterval.Should().Be(TimeSpan.FromSeconds(60));
        settings.Kafka.Properties.Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["group.id"] = "test_group",
            ["bootstrap.servers"] = "127.0.0.1:9092",
            ["auto.offset.reset"] = "earliest",
        });
        settings.Parser.Nonce.ToString().Should().Be("RecordOffset");
        settings.Parser.Timestamp.ToString().Should().Be("None");
        settings.Parser.Keyspace.ToString().Should().Be("Static(my_keyspace)");
        settings.Parser.Key.ToString().Should().Be("RecordPartition");
    }

    [Fact]
    public void What_is_left_out_takes_klstores_defaults_and_the_consumer_never_auto_commits()
    {
        var settings = BridgeSettings.Parse(Minimal);

        settings.Batcher.Should().BeEquivalentTo(new BatcherSettings
        {
            WriterThreadCount = 1,
            WriterThreadQueueCapacity = 0,
            BatchCheckInterval = TimeSpan.FromMilliseconds(100),
            BatchFlushInterval = TimeSpan.FromSeconds(1),
            BatchFlushItemCountThreshold = long.MaxValue,
            BatchFlushSizeThreshold = 1_000_000,
        });
        settings.Parser.Key.ToString().Should().Be("RecordPartition");
        settings.Parser.Nonce.ToString().Should().Be("RecordOffset");
        settings.Parser.Timestamp.ToString().Should().Be("None");
        var consumer = KafkaBridge.ConsumerConfig(settings.Kafka);
        consumer.EnableAutoCommit.Should().BeFalse();
        consumer.EnableAutoOffsetStore.Should().BeTrue();
        consumer.GroupId.Should().Be("g");
    }

    [Theory]
    [InlineData("keyspace_parser = \"Static(events)\"", "keyspace_parser = \"Sttic(events)\"", "[parser] keyspace_parser")]
    [InlineData("keyspace_parser = \"Static(events)\"", "keyspace_parser = \"Static(events)\"\nnonce_parser = \"RecordHeaderBigEndian()\"", "[parser] nonce_parser")]
    [InlineData("keyspace_parser = \"Static(events)\"", "keyspace_parser = \"Static(events)\"\ntimestamp_parser = \"RecordKey\"", "[parser] timestamp_parser")]
    [InlineData("keyspace_parser = \"Static(events)\"", "key_parser = \"RecordKey\"", "[parser] keyspace_parser")]
    [InlineData("keyspace_parser = \"Static(events)\"", "keyspace_parser = \"Static(events)\"\nkey_parser = \"Static(all)\"", "[parser] nonce_parser")]
    [InlineData("keyspace_parser = \"Static(events)\"", "keyspace_parser = \"Static(events)\"\nkey_parser = \"RecordHeader(user)\"", "[parser] nonce_parser")]
    [InlineData("keyspace_parser = \"Static(events)\"", "keyspace_parser = \"Static(events)\"\nnonce_parser = \"RecordPartition\"", "[parser] nonce_parser")]
    [InlineData("topic = \"inbound\"", "", "[kafka] topic")]
    [InlineData("group.id = \"g\"", "", "[kafka] group.id")]
    [InlineData("group.id = \"g\"", "group.id = \"g\"\nenable.auto.commit = true", "[kafka] enable.auto.commit")]
    [InlineData("group.id = \"g\"", "group.id = \"g\"\nauto.offset.reset = sometimes", "[kafka] auto.offset.reset")]
    [InlineData("[kvdb]", "[kvdb]\nwriter_thread_count = 2", "[kvdb] writer_thread_count")]
    [InlineData("[kvdb]", "[batcher]\nwriter_thread_count = two\n[kvdb]", "[batcher] writer_thread_count")]
    [InlineData("[kvdb]", "[batcher]\nwriter_thread_count = 0\n[kvdb]", "[batcher] writer_thread_count")]
    [InlineData("[kvdb]", "[batcher]\nbatch_flush_interval_millis = -1\n[kvdb]", "[batcher] batch_flush_interval_millis")]
    [InlineData("[kvdb]", "[s3]\nbucket_name = \"b\"\n[kvdb]", "[s3]")]
    [InlineData("endpoints = \"http://127.0.0.1:12380\"", "endpoints = \"ftp://x\"", "[kvdb] endpoints")]
    [InlineData("endpoints = \"http://127.0.0.1:12380\"", "endpoints = \"http://127.0.0.1:12380\"\nusername = \"u\"", "[kvdb] password")]
    [InlineData("endpoints = \"http://127.0.0.1:12380\"", "endpoints = \"http://127.0.0.1:12380\"\ntls_ca_file = \"/nonexistent/ca.pem\"", "[kvdb] tls_ca_file")]
    [InlineData("topic = \"inbound\"", "topic = \"inbound\"\ntopic = \"again\"", "[kafka] topic")]
    [InlineData("topic = \"inbound\"", "topic = \"inbound", "[kafka] topic")]
    public void A_bad_setting_is_refused_with_its_name(string replace, string with, string setting)
    {
        var text = Minimal.Replace(replace, with, StringComparison.Ordinal);
        text.Should().NotBe(Minimal);

        var act = () => BridgeSettings.Parse(text);

        act.Should().Throw<ConfigException>().Where(e => e.Setting == setting, $"the message was expected to name {setting}");
    }

    [Fact]
    public async Task The_kvdb_executable_exits_2_naming_the_setting()
    {
        var dir = Directory.CreateTempSubdirectory("kvdb-bridge-config-");
        try
        {
            var unknownParser = Path.Combine(dir.FullName, "parser.toml");
            await File.WriteAllTextAsync(unknownParser, Minimal.Replace("Static(events)", "Static(events)\"\nnonce_parser = \"RecordSequence", StringComparison.Ordinal));
            var badKafka = Path.Combine(dir.FullName, "kafka.toml");
            await File.WriteAllTextAsync(badKafka, Minimal.Replace("group.id = \"g\"", "group.id = \"g\"\nfetch.wait.max.msec = 5", StringComparison.Ordinal));
            var noTopic = Path.Combine(dir.FullName, "topic.toml");
            await File.WriteAllTextAsync(noTopic, Minimal.Replace("topic = \"inbound\"", "", StringComparison.Ordinal));

            foreach (var (file, setting) in new[] { (unknownParser, "[parser] nonce_parser"), (badKafka, "[kafka] fetch.wait.max.msec"), (noTopic, "[kafka] topic") })
            {
                var (exitCode, output) = await KvdbProcess.RunToExitAsync(["kafka-bridge", "--config", file], TimeSpan.FromSeconds(60));
                exitCode.Should().Be(2, output);
                output.Should().Contain("kvdb kafka-bridge: " + setting + ":");
            }

            var (missingCode, missingOutput) = await KvdbProcess.RunToExitAsync(["kafka-bridge"], TimeSpan.FromSeconds(60));
            missingCode.Should().Be(2, missingOutput);
            missingOutput.Should().Contain("--config");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Number_parsers_read_big_and_little_endian_and_text_and_refuse_what_is_not_there()
    {
        var headers = new Headers { { "be", [0x01, 0x02] }, { "le", [0x01, 0x02] }, { "text", "12345"u8.ToArray() }, { "bad", "12a"u8.ToArray() }, { "wide", new byte[17] } };
        var record = new RecordView("t", 3, 42, [0, 0, 0, 7], headers);

        Parse("RecordHeaderBigEndian(be)").Should().Be((UInt128)0x0102);
        Parse("RecordHeaderLittleEndian(le)").Should().Be((UInt128)0x0201);
        Parse("RecordHeaderUtf8(text)").Should().Be((UInt128)12345);
        Parse("RecordKeyBigEndian").Should().Be((UInt128)7);
        Parse("RecordKeyLittleEndian").Should().Be((UInt128)7 << 24);
        Parse("RecordOffset").Should().Be((UInt128)42);
        Parse("RecordPartition").Should().Be((UInt128)3);
        NumberParser.From("None", "n").TryParse(record, out var none).Should().BeTrue();
        none.Should().BeNull();
        foreach (var unreadable in new[] { "RecordHeaderUtf8(bad)", "RecordHeaderBigEndian(missing)", "RecordHeaderBigEndian(wide)", "RecordKeyUtf8" })
            NumberParser.From(unreadable, "n").TryParse(record, out _).Should().BeFalse(unreadable);

        UInt128? Parse(string parser)
        {
            NumberParser.From(parser, "n").TryParse(record, out var value).Should().BeTrue(parser);
            return value;
        }
    }

    [Fact]
    public void Text_parsers_read_static_text_headers_keys_and_partitions()
    {
        var record = new RecordView("t", 3, 42, "user-1"u8.ToArray(), new Headers { { "ks", "orders"u8.ToArray() }, { "bad", [0xff, 0xfe] } });

        TextParser.From("Static(fixed)", "k").Parse(record).Should().Be("fixed");
        TextParser.From("RecordHeader(ks)", "k").Parse(record).Should().Be("orders");
        TextParser.From("RecordKey", "k").Parse(record).Should().Be("user-1");
        TextParser.From("RecordPartition", "k").Parse(record).Should().Be("3");
        TextParser.From("RecordHeader(missing)", "k").Parse(record).Should().BeNull();
        TextParser.From("RecordHeader(bad)", "k").Parse(record).Should().BeNull("invalid UTF-8 is not a name");
        TextParser.From("RecordKey", "k").Parse(record with { Key = null }).Should().BeNull();
    }

    [Fact]
    public void A_commit_never_passes_an_unacknowledged_record()
    {
        var progress = new PartitionProgress(new TopicPartition("t", 0));
        foreach (var offset in new long[] { 10, 11, 12, 14 })
            progress.Consumed(offset);

        progress.Acknowledged(11);
        progress.Acknowledged(14);
        progress.TakeCommit().Should().BeNull("offset 10 is not acknowledged");
        progress.Acknowledged(10);
        progress.TakeCommit()!.Offset.Value.Should().Be(12, "12 is still being written");
        progress.MarkCommitted(12);
        progress.TakeCommit().Should().BeNull();
        progress.Acknowledged(12);
        progress.TakeCommit()!.Offset.Value.Should().Be(15, "the gap at 13 (compaction) is no record");
        progress.Drained.Should().BeTrue();
    }
}

public sealed class BridgeMetricsTests
{
    [Fact]
    public async Task The_metrics_endpoint_serves_the_bridges_counters()
    {
        var port = FreePorts.Take(1)[0];
        using var metrics = new BridgeMetrics(static () => [new System.Diagnostics.Metrics.Measurement<long>(7, new KeyValuePair<string, object?>("partition", 2))]);
        using var server = BridgeMetricsServer.Start($"127.0.0.1:{port}", TextWriter.Null);
        metrics.RecordConsumed();
        metrics.BatchWritten(3, 2, 1, TimeSpan.FromMilliseconds(5));
        using var http = new HttpClient();

        var text = "";
        await Eventually.WaitUntilAsync(
            async () => (text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"))).Contains("kvdb_kafka_bridge_records_skipped", StringComparison.Ordinal),
            "the counters on /metrics",
            TimeSpan.FromSeconds(20),
            () => text);

        // Whole series names at the start of a line, as docs/operations/kafka-bridge.md lists them.
        var series = text.Split('\n').Where(static line => line.Length > 0 && line[0] != '#').Select(static line => line.Split(' ', '{')[0]).ToHashSet();
        foreach (var name in new[] { "kvdb_kafka_bridge_records_consumed", "kvdb_kafka_bridge_records_appended", "kvdb_kafka_bridge_records_skipped", "kvdb_kafka_bridge_records_dead_lettered", "kvdb_kafka_bridge_batches", "kvdb_kafka_bridge_commit_lag", "kvdb_kafka_bridge_write_latency_count" })
            series.Should().Contain(name, "the series are named as documented; got {0}", string.Join(", ", series));
    }

    [Fact]
    public void The_metrics_server_watches_no_configuration_file()
    {
        using var server = BridgeMetricsServer.Start($"127.0.0.1:{FreePorts.Take(1)[0]}", TextWriter.Null);

        var files = ((Microsoft.Extensions.Configuration.IConfigurationRoot)server.Configuration).Providers.OfType<Microsoft.Extensions.Configuration.FileConfigurationProvider>();
        files.Where(static f => f.Source.ReloadOnChange).Select(static f => f.Source.Path)
            .Should().BeEmpty("a watched file means a recursive watch of the bridge's working directory");
    }

    [Fact]
    public void A_metrics_port_in_use_fails_the_start_naming_the_setting()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;

        var start = () => BridgeMetricsServer.Start($"127.0.0.1:{port}", TextWriter.Null);

        start.Should().Throw<ConfigException>().Which.Message.Should().Contain("[metrics] listen").And.Contain($"127.0.0.1:{port}");
    }

    // A scraper that connects while the endpoint starts must not take the bridge down: .NET's
    // managed HttpListener threw from Start in that case (dotnet/corefx#35191), which killed the
    // bridge when Prometheus (or kvdb bench) polled it at start.
    [Fact]
    public async Task Connections_arriving_while_the_endpoint_starts_do_not_stop_it()
    {
        for (var round = 0; round < 20; round++)
        {
            var port = FreePorts.Take(1)[0];
            using var knocking = new CancellationTokenSource();
            var knockers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                while (!knocking.IsCancellationRequested)
                {
                    using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                    try
                    {
                        await socket.ConnectAsync(System.Net.IPAddress.Loopback, port, knocking.Token);
                    }
                    catch (Exception e) when (e is System.Net.Sockets.SocketException or OperationCanceledException)
                    {
                    }
                }
            })).ToArray();
            try
            {
                using var server = BridgeMetricsServer.Start($"127.0.0.1:{port}", TextWriter.Null);
                using var http = new HttpClient();
                (await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"))).Should().NotBeNull();
            }
            finally
            {
                await knocking.CancelAsync();
                await Task.WhenAll(knockers);
            }
        }
    }
}
