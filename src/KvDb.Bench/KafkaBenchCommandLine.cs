// The flags of `kvdb bench kafka`, with the conventions of `kvdb bench` (KvDb.Flags): --flag value
// or --flag=value, durations like 500ms/8s, the last of a repeated flag wins, one-line errors.
// Invariants:
//  - Each flag is declared once, here, in --help order; none reads the environment.
//  - Parse returns fully valid options, the help text, or one error message without newlines.
using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using System.Text;
using KvDb.Flags;

namespace KvDb.Bench;

/// <summary>Options of <c>kvdb bench kafka</c>.</summary>
public sealed record KafkaBenchOptions
{
    /// <summary>The members the bridge writes to and the lag readers follow lists on.</summary>
    public required IReadOnlyList<Uri> Endpoints { get; init; }

    /// <summary>Records produced before the bridge starts, per throughput run.</summary>
    public required int Records { get; init; }

    /// <summary>Record value sizes; each is one run per writer count.</summary>
    public required IReadOnlyList<int> RecordSizes { get; init; }

    /// <summary>Bridge writer counts (<c>writer_thread_count</c>).</summary>
    public required IReadOnlyList<int> Writers { get; init; }

    /// <summary>Partitions of each run's topic.</summary>
    public required int Partitions { get; init; }

    /// <summary>Distinct record keys (lists) of the throughput phase.</summary>
    public required int Keys { get; init; }

    /// <summary>The bridge's <c>batch_flush_interval_millis</c>.</summary>
    public required TimeSpan FlushInterval { get; init; }

    /// <summary>Records per second produced in the lag phase (0: no lag phase).</summary>
    public required int LagRate { get; init; }

    /// <summary>How long the lag phase produces.</summary>
    public required TimeSpan LagDuration { get; init; }

    /// <summary>Distinct record keys (lists, each followed by one reader) of the lag phase.</summary>
    public required int LagKeys { get; init; }

    /// <summary>The longest a phase may take to land everything it produced.</summary>
    public required TimeSpan Timeout { get; init; }

    /// <summary>Print one JSON object instead of a table.</summary>
    public required bool Json { get; init; }
}

/// <summary>Parses the flags of <c>kvdb bench kafka</c>.</summary>
public static class KafkaBenchCommandLine
{
    /// <summary>The word after <c>bench</c> that selects the Kafka bridge's workloads.</summary>
    public const string Name = "kafka";

    /// <summary>Parses the arguments that follow <c>bench kafka</c>.</summary>
    public static BenchParseResult Parse(IReadOnlyList<string> args)
    {
        var flags = new KafkaBenchFlags();
        return BenchConsole.Parse(flags.Command, args, "kvdb bench kafka", () => Help(flags), result => new KafkaBenchParseResult(flags.Build(result)));
    }

    /// <summary>The <c>kvdb bench kafka --help</c> text.</summary>
    public static string Help() => Help(new KafkaBenchFlags());

    private static string Help(KafkaBenchFlags flags)
    {
        var text = new StringBuilder();
        text.AppendLine("kvdb bench kafka: the Kafka bridge (kvdb kafka-bridge) from topic to acknowledged lists.");
        text.AppendLine();
        text.AppendLine("Usage:");
        text.AppendLine("  kvdb bench kafka --endpoints http://127.0.0.1:12380,http://127.0.0.1:22380,http://127.0.0.1:32380");
        text.AppendLine("  kvdb bench kafka --record-sizes 100 --writers 4 --records 200000 --flush-interval 50ms");
        text.AppendLine();
        text.AppendLine("It starts librdkafka's mock Kafka cluster (real Kafka protocol, one broker, in this process, on");
        text.AppendLine("a loopback port), then for each record size and writer count: creates a topic of --partitions");
        text.AppendLine("partitions and produces --records keyed records (--keys keys, so --keys lists) into it; starts");
        text.AppendLine("this executable's `kvdb kafka-bridge` in a process of its own with a generated bridge.toml");
        text.AppendLine("(key = record key, nonce = offset, klstore's batcher defaults but --flush-interval and the");
        text.AppendLine("writers); and reports records/s and MiB/s (record values) from the bridge's first consumed");
        text.AppendLine("record to the last one acknowledged by kvdb, read off the bridge's own metrics. Then, with");
        text.AppendLine("the bridge caught up, the lag phase produces --lag-rate records/s for --lag-duration onto");
        text.AppendLine("--lag-keys other keys, each list followed by a reader (SSE, the next member each): the lag is");
        text.AppendLine("from producing a record (its time is in its first 8 bytes) to the reader receiving it, one");
        text.AppendLine("process and one clock. Finally every list is counted: each record must be there once.");
        text.AppendLine("The keyspace bench-kafka-XXXXXXXX is deleted at the end.");
        text.AppendLine();
        text.AppendLine("Flags (not read from the environment):");
        foreach (var flag in flags.Flags)
        {
            text.Append("  ").Append(flag.Usage.PadRight(28)).AppendLine(flag.Summary);
            text.Append(' ', 30).AppendLine(CultureInfo.InvariantCulture, $"[default: {flag.DefaultText}]");
        }

        text.Append("  ").Append("--help".PadRight(28)).AppendLine("Show this help and exit.");
        text.AppendLine();
        text.AppendLine("Exit codes: 0 every run landed every record once, 1 a run failed or a record was lost or");
        text.AppendLine("doubled (the report says which), 2 bad command line.");
        return text.ToString();
    }
}

/// <summary>Options to run <c>kvdb bench kafka</c> with.</summary>
/// <param name="Options">The options.</param>
public sealed record KafkaBenchParseResult(KafkaBenchOptions Options) : BenchParseResult;

/// <summary>The flags of <c>kvdb bench kafka</c>.</summary>
internal sealed class KafkaBenchFlags
{
    public KafkaBenchFlags()
    {
        Endpoints = new("endpoints", "URLS", BenchCommandLine.DefaultKvdbEndpoint, "Comma-separated base URLs of the members (the bridge gets them all).", BenchCommandLine.ParseEndpoints);
        Records = new("records", "N", "100000", "Records produced for each throughput run, 1 to 100,000,000.", WholeNumber.Between("records", 1, 100_000_000));
        RecordSizes = new("record-sizes", "BYTES,...", "100,1024", "Record value sizes, 8 bytes to 1 MiB each; one run per size and writer count.", BenchFlagValues.Sizes("record-sizes", 8, 1 << 20));
        Writers = new("writers", "N,...", "1,4", "The bridge's writer_thread_count, 1 to 64 each; one run per size and count.", BenchFlagValues.WholeNumbers("writers", 1, 64));
        Partitions = new("partitions", "N", "4", "Partitions of each run's topic, 1 to 1000.", WholeNumber.Between("partitions", 1, 1000));
        Keys = new("keys", "N", "64", "Distinct record keys (so lists) in the throughput phase, 1 to 100,000.", WholeNumber.Between("keys", 1, 100_000));
        FlushInterval = new("flush-interval", "DURATION", "1s", "The bridge's batch_flush_interval_millis (klstore's default is 1s); the check interval is 100ms or this, whichever is shorter.", BenchFlagValues.Span("flush-interval", TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(10)));
        LagRate = new("lag-rate", "N", "1000", "Records per second produced in the lag phase, 0 to 1,000,000 (0: no lag phase).", WholeNumber.Between("lag-rate", 0, 1_000_000));
        LagDuration = new("lag-duration", "DURATION", "10s", "How long the lag phase produces.", BenchFlagValues.Span("lag-duration", TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1)));
        LagKeys = new("lag-keys", "N", "16", "Distinct record keys (lists, one reader each) in the lag phase, 1 to 1000.", WholeNumber.Between("lag-keys", 1, 1000));
        Timeout = new("timeout", "DURATION", "5m", "The longest a phase may take to land what it produced, and the bridge to start.", BenchFlagValues.Span("timeout", TimeSpan.FromSeconds(1), TimeSpan.FromHours(24)));
        Json = new("json", null, "off", "Print the results as one JSON object on stdout instead of a table.", text => OnOff.Parse("json", text));

        Command = new Command("kafka", "kvdb bench kafka: the Kafka bridge from topic to acknowledged lists.") { new HelpOption() };
        foreach (var flag in Flags)
            Command.Add((Option)flag);
    }

    public Command Command { get; }

    /// <summary>Every flag but --help, in --help order.</summary>
    public IReadOnlyList<IFlag> Flags => [Endpoints, Records, RecordSizes, Writers, Partitions, Keys, FlushInterval, LagRate, LagDuration, LagKeys, Timeout, Json];

    public Flag<List<Uri>> Endpoints { get; }
    public Flag<int> Records { get; }
    public Flag<List<int>> RecordSizes { get; }
    public Flag<List<int>> Writers { get; }
    public Flag<int> Partitions { get; }
    public Flag<int> Keys { get; }
    public Flag<TimeSpan> FlushInterval { get; }
    public Flag<int> LagRate { get; }
    public Flag<TimeSpan> LagDuration { get; }
    public Flag<int> LagKeys { get; }
    public Flag<TimeSpan> Timeout { get; }
    public Flag<OnOff> Json { get; }

    public KafkaBenchOptions Build(ParseResult result) => new()
    {
        Endpoints = result.GetValue(Endpoints) is { Count: > 0 } given ? given : BenchCommandLine.ParseEndpoints(BenchCommandLine.DefaultKvdbEndpoint),
        Records = result.GetValue(Records),
        RecordSizes = result.GetRequiredValue(RecordSizes),
        Writers = result.GetRequiredValue(Writers),
        Partitions = result.GetValue(Partitions),
        Keys = result.GetValue(Keys),
        FlushInterval = result.GetValue(FlushInterval),
        LagRate = result.GetValue(LagRate),
        LagDuration = result.GetValue(LagDuration),
        LagKeys = result.GetValue(LagKeys),
        Timeout = result.GetValue(Timeout),
        Json = result.GetValue(Json).IsOn,
    };
}
