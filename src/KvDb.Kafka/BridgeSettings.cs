// The bridge's configuration, read from bridge.toml's sections [kvdb], [batcher], [kafka],
// [parser] (and the optional [metrics]), with klstore's defaults.
// Invariants:
//  - Everything is checked before the bridge connects anywhere: an unknown section or setting
//    (outside [kafka]), a missing required one, an unparseable value or an unknown parser throws
//    ConfigException naming the setting, and kvdb kafka-bridge exits 2 with that line.
//  - [kafka] passes every property except topic/topics and offset_commit_interval_seconds to
//    librdkafka unchanged; enable.auto.commit is always false and enable.auto.offset.store
//    always true (a file that says otherwise is refused, not silently overridden), so offsets
//    are committed only by the bridge, after kvdb acknowledged the records below them.
using System.Globalization;

namespace KvDb.Kafka;

/// <summary>[kvdb]: where and as whom the bridge writes.</summary>
internal sealed record KvdbSettings
{
    /// <summary>Base URLs of kvdb members (any member; the client fails over).</summary>
    public required IReadOnlyList<Uri> Endpoints { get; init; }

    /// <summary>User name for HTTP Basic (with <see cref="Password"/>).</summary>
    public string? Username { get; init; }

    /// <summary>Password for <see cref="Username"/>.</summary>
    public string? Password { get; init; }

    /// <summary>A bearer token, instead of a user name and password.</summary>
    public string? Token { get; init; }

    /// <summary>PEM file of the CA that signs the members' certificates.</summary>
    public string? TlsCaFile { get; init; }

    /// <summary>PEM client certificate (mutual TLS).</summary>
    public string? TlsCertFile { get; init; }

    /// <summary>PEM key of <see cref="TlsCertFile"/>.</summary>
    public string? TlsKeyFile { get; init; }

    /// <summary>Create a keyspace an append finds missing (needs root when auth is on).</summary>
    public bool CreateKeyspaces { get; init; } = true;

    /// <summary>The most bytes of values one append carries (kvdb refuses more than --max-value-bytes plus 64 KiB).</summary>
    public int MaxAppendBytes { get; init; } = 1_000_000;
}

/// <summary>[batcher]: klstore's BatchingStoreWriterConfig.</summary>
internal sealed record BatcherSettings
{
    /// <summary>Writers; a list is always written by writer hash(keyspace, key) % count.</summary>
    public int WriterThreadCount { get; init; } = 1;

    /// <summary>Records queued per writer before the consumer waits; 0 for unbounded (klstore's None).</summary>
    public int WriterThreadQueueCapacity { get; init; }

    /// <summary>How often a writer looks for batches to flush.</summary>
    public TimeSpan BatchCheckInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>A batch older than this is flushed, however small.</summary>
    public TimeSpan BatchFlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A batch with this many items is flushed.</summary>
    public long BatchFlushItemCountThreshold { get; init; } = long.MaxValue;

    /// <summary>A batch with this many bytes of values is flushed.</summary>
    public long BatchFlushSizeThreshold { get; init; } = 1_000_000;
}

/// <summary>[kafka]: the consumer group.</summary>
internal sealed record KafkaSettings
{
    /// <summary>The topics consumed.</summary>
    public required IReadOnlyList<string> Topics { get; init; }

    /// <summary>How often acknowledged offsets are committed.</summary>
    public TimeSpan OffsetCommitInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>librdkafka properties, group.id and bootstrap.servers among them.</summary>
    public required IReadOnlyDictionary<string, string> Properties { get; init; }
}

/// <summary>[parser]: how a record becomes a list item, and where records that cannot go.</summary>
internal sealed record ParserSettings
{
    /// <summary>The list's keyspace.</summary>
    public required TextParser Keyspace { get; init; }

    /// <summary>The list's key.</summary>
    public required TextParser Key { get; init; }

    /// <summary>The item's nonce (default the record's offset).</summary>
    public required NumberParser Nonce { get; init; }

    /// <summary>The item's timestamp, Unix milliseconds (default None: the leader's clock).</summary>
    public required NumberParser Timestamp { get; init; }

    /// <summary>The keyspace of the dead-letter lists (one per topic and partition).</summary>
    public string DeadLetterKeyspace { get; init; } = "dead-letters";
}

/// <summary>The whole bridge.toml.</summary>
internal sealed record BridgeSettings
{
    /// <summary>The librdkafka properties the bridge always sets itself.</summary>
    public static readonly IReadOnlyDictionary<string, string> FixedKafkaProperties = new Dictionary<string, string>
    {
        ["enable.auto.commit"] = "false",
        ["enable.auto.offset.store"] = "true",
    };

    /// <summary>[kvdb].</summary>
    public required KvdbSettings Kvdb { get; init; }

    /// <summary>[batcher].</summary>
    public required BatcherSettings Batcher { get; init; }

    /// <summary>[kafka].</summary>
    public required KafkaSettings Kafka { get; init; }

    /// <summary>[parser].</summary>
    public required ParserSettings Parser { get; init; }

    /// <summary>[metrics] listen: host:port of the Prometheus endpoint, null for none.</summary>
    public string? MetricsListen { get; init; }

    /// <summary>Reads and checks bridge.toml; throws <see cref="ConfigException"/> naming the first wrong setting.</summary>
    public static BridgeSettings Parse(string text)
    {
        var sections = ConfigText.Parse(text);
        foreach (var name in sections.Keys)
        {
            if (name is not ("kvdb" or "batcher" or "kafka" or "parser" or "metrics"))
                throw new ConfigException($"[{name}]", "unknown section: bridge.toml has [kvdb], [batcher], [kafka], [parser] and [metrics]");
        }

        var kvdb = new Section(sections, "kvdb");
        var batcher = new Section(sections, "batcher");
        var kafka = new Section(sections, "kafka");
        var parser = new Section(sections, "parser");
        var metrics = new Section(sections, "metrics");

        var settings = new BridgeSettings
        {
            Kvdb = ReadKvdb(kvdb),
            Batcher = ReadBatcher(batcher),
            Kafka = ReadKafka(kafka),
            Parser = ReadParser(parser),
            MetricsListen = metrics.Text("listen"),
        };
        if (settings.MetricsListen is { } listen && !TryListen(listen, out _, out _))
            throw new ConfigException("[metrics] listen", $"'{listen}' is not host:port");
        foreach (var section in new[] { kvdb, batcher, parser, metrics })
            section.ThrowOnUnknown();
        return settings;
    }

    /// <summary>Splits host:port.</summary>
    public static bool TryListen(string listen, out string host, out int port)
    {
        var colon = listen.LastIndexOf(':');
        host = colon > 0 ? listen[..colon] : "";
        port = 0;
        return colon > 0 && int.TryParse(listen.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and < 65536;
    }

    private static KvdbSettings ReadKvdb(Section s)
    {
        var endpoints = s.Items("endpoints") ?? throw new ConfigException("[kvdb] endpoints", "required: the base URLs of kvdb members, e.g. [\"http://127.0.0.1:12380\"]");
        var uris = new List<Uri>();
        foreach (var endpoint in endpoints.SelectMany(static e => e.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new ConfigException("[kvdb] endpoints", $"'{endpoint}' is not an http:// or https:// URL");
            uris.Add(uri);
        }

        if (uris.Count == 0)
            throw new ConfigException("[kvdb] endpoints", "names no member");
        var settings = new KvdbSettings
        {
            Endpoints = uris,
            Username = s.Text("username"),
            Password = s.Text("password"),
            Token = s.Text("token"),
            TlsCaFile = s.Text("tls_ca_file"),
            TlsCertFile = s.Text("tls_cert_file"),
            TlsKeyFile = s.Text("tls_key_file"),
            CreateKeyspaces = s.Bool("create_keyspaces") ?? true,
            MaxAppendBytes = (int)(s.Whole("max_append_bytes", 1, 64 << 20) ?? 1_000_000),
        };
        if (settings.Username is not null != settings.Password is not null)
            throw new ConfigException(settings.Username is null ? "[kvdb] username" : "[kvdb] password", "username and password go together");
        if (settings.Token is not null && settings.Username is not null)
            throw new ConfigException("[kvdb] token", "give a token or a username and password, not both");
        if (settings.TlsCertFile is not null != settings.TlsKeyFile is not null)
            throw new ConfigException(settings.TlsCertFile is null ? "[kvdb] tls_cert_file" : "[kvdb] tls_key_file", "tls_cert_file and tls_key_file go together");
        foreach (var (name, path) in new[] { ("tls_ca_file", settings.TlsCaFile), ("tls_cert_file", settings.TlsCertFile), ("tls_key_file", settings.TlsKeyFile) })
        {
            if (path is not null && !File.Exists(path))
                throw new ConfigException($"[kvdb] {name}", $"no such file: {path}");
        }

        return settings;
    }

    private static BatcherSettings ReadBatcher(Section s) => new()
    {
        WriterThreadCount = (int)(s.Whole("writer_thread_count", 1, 1024) ?? 1),
        WriterThreadQueueCapacity = (int)(s.Whole("writer_thread_queue_capacity", 1, int.MaxValue) ?? 0),
        BatchCheckInterval = TimeSpan.FromMilliseconds(s.Whole("batch_check_interval_millis", 1, 3_600_000) ?? 100),
        BatchFlushInterval = TimeSpan.FromMilliseconds(s.Whole("batch_flush_interval_millis", 0, 3_600_000) ?? 1000),
        BatchFlushItemCountThreshold = s.Whole("batch_flush_item_count_threshold", 1, long.MaxValue) ?? long.MaxValue,
        BatchFlushSizeThreshold = s.Whole("batch_flush_size_threshold", 1, long.MaxValue) ?? 1_000_000,
    };

    private static KafkaSettings ReadKafka(Section s)
    {
        var topics = new List<string>();
        foreach (var name in new[] { "topic", "topics" })
        {
            foreach (var topic in s.Items(name) ?? [])
                topics.AddRange(topic.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        if (topics.Count == 0)
            throw new ConfigException("[kafka] topic", "required: the topic (or topics = [...]) to consume");
        var interval = s.Whole("offset_commit_interval_seconds", 1, 86_400) ?? 5;
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in s.Remaining())
        {
            if (FixedKafkaProperties.TryGetValue(entry.Name, out var fixedValue))
            {
                if (!string.Equals(entry.Text, fixedValue, StringComparison.OrdinalIgnoreCase))
                    throw new ConfigException(entry.Qualified, $"is always {fixedValue}: the bridge commits offsets itself, after kvdb acknowledged the records below them");
                continue;
            }

            properties[entry.Name] = entry.Text;
        }

        foreach (var required in new[] { "group.id", "bootstrap.servers" })
        {
            if (!properties.TryGetValue(required, out var value) || value.Length == 0)
                throw new ConfigException($"[kafka] {required}", "required");
        }

        if (properties.TryGetValue("auto.offset.reset", out var reset) && reset is not ("earliest" or "latest" or "smallest" or "largest" or "beginning" or "end" or "error"))
            throw new ConfigException("[kafka] auto.offset.reset", $"'{reset}' is not earliest, latest or error");
        return new KafkaSettings { Topics = topics, OffsetCommitInterval = TimeSpan.FromSeconds(interval), Properties = properties };
    }

    private static ParserSettings ReadParser(Section s)
    {
        var keyspace = s.Text("keyspace_parser") ?? throw new ConfigException("[parser] keyspace_parser", "required, e.g. Static(events) or RecordHeader(keyspace)");
        var settings = new ParserSettings
        {
            Keyspace = TextParser.From(keyspace, "[parser] keyspace_parser"),
            Key = TextParser.From(s.Text("key_parser") ?? "RecordPartition", "[parser] key_parser"),
            Nonce = NumberParser.From(s.Text("nonce_parser") ?? "RecordOffset", "[parser] nonce_parser"),
            Timestamp = NumberParser.From(s.Text("timestamp_parser") ?? "None", "[parser] timestamp_parser"),
            DeadLetterKeyspace = s.Text("dead_letter_keyspace") ?? "dead-letters",
        };
        if (settings.DeadLetterKeyspace.Length == 0)
            throw new ConfigException("[parser] dead_letter_keyspace", "must not be empty");

        // kvdb skips an item whose nonce is not above its list's last: these would lose records
        // silently, as replays of records they are not.
        if (settings.Nonce.IsPartition)
            throw new ConfigException("[parser] nonce_parser", "RecordPartition gives every record of a partition the same nonce, so kvdb would keep only the first of each list: use RecordOffset or a header that grows");
        if (settings.Nonce.IsOffset && !settings.Key.SeparatesPartitions)
            throw new ConfigException("[parser] nonce_parser", $"RecordOffset orders a list's items only when one partition feeds the list, and key_parser {settings.Key} can put records of several partitions in one list, where kvdb would skip one partition's records as replays of another's: use key_parser RecordPartition or RecordKey, or a nonce that grows across partitions (e.g. RecordHeaderBigEndian(seq))");
        return settings;
    }

    // One section's entries; each read marks its entry used, so what is left over is unknown.
    private sealed class Section(Dictionary<string, List<ConfigEntry>> sections, string name)
    {
        private readonly List<ConfigEntry> entries = sections.TryGetValue(name, out var found) ? found : [];
        private readonly HashSet<string> used = new(StringComparer.Ordinal);

        public string? Text(string setting) => Find(setting)?.Text;

        public IReadOnlyList<string>? Items(string setting) => Find(setting)?.Items;

        public bool? Bool(string setting)
            => Find(setting) switch
            {
                null => null,
                { Text: "true" } => true,
                { Text: "false" } => false,
                var e => throw new ConfigException(e.Qualified, $"'{e.Text}' is not true or false"),
            };

        public long? Whole(string setting, long min, long max)
        {
            if (Find(setting) is not { } e)
                return null;
            if (!long.TryParse(e.Text.Replace("_", "", StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture, out var value)
                && !(e.Text is "18446744073709551615" && (value = long.MaxValue) > 0))
                throw new ConfigException(e.Qualified, $"'{e.Text}' is not a whole number");
            if (value < min || value > max)
                throw new ConfigException(e.Qualified, $"{value} is outside {min} to {max}");
            return value;
        }

        public IEnumerable<ConfigEntry> Remaining() => entries.Where(e => used.Add(e.Name));

        public void ThrowOnUnknown()
        {
            if (entries.FirstOrDefault(e => !used.Contains(e.Name)) is { } unknown)
                throw new ConfigException(unknown.Qualified, $"unknown setting (line {unknown.Line})");
        }

        private ConfigEntry? Find(string setting)
        {
            used.Add(setting);
            return entries.Find(e => e.Name == setting);
        }
    }
}
