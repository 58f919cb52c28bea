// The flags of `kvdb bench s2`, with the conventions of `kvdb bench` (KvDb.Flags): --flag value
// or --flag=value, durations like 500ms/8s, sizes like 1024, 64MiB or 1GiB, switches, the last of
// a repeated flag wins, one-line errors. Invariants:
//  - Each flag is declared once, here, in --help order; none reads the environment.
//  - Parse returns fully valid options, the help text, or one error message without newlines.
using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using System.Text;
using KvDb.Flags;

namespace KvDb.Bench;

/// <summary>Parses the flags of <c>kvdb bench s2</c>.</summary>
public static class S2BenchCommandLine
{
    /// <summary>The word after <c>bench</c> that selects S2's workloads.</summary>
    public const string Name = "s2";

    /// <summary>Parses the arguments that follow <c>bench s2</c>.</summary>
    public static BenchParseResult Parse(IReadOnlyList<string> args)
    {
        var flags = new S2BenchFlags();
        return BenchConsole.Parse(flags.Command, args, "kvdb bench s2", () => Help(flags), result => new S2BenchParseResult(flags.Build(result)));
    }

    /// <summary>Parses a size: whole bytes, or a number with KiB, MiB or GiB.</summary>
    public static long ParseSize(string flag, string text, long min, long max)
    {
        var units = new (string Suffix, long Factor)[] { ("GiB", 1L << 30), ("MiB", 1L << 20), ("KiB", 1L << 10), ("B", 1) };
        var (number, factor) = (text.Trim(), 1L);
        foreach (var (suffix, f) in units)
        {
            if (number.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                (number, factor) = (number[..^suffix.Length].Trim(), f);
                break;
            }
        }

        if (!long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > max / factor || value * factor < min || value * factor > max)
            throw new FormatException($"--{flag} '{text}' must be a size from {min} bytes to {max >> 30} GiB, like 1048576, 64MiB or 1GiB");
        return value * factor;
    }

    /// <summary>The <c>kvdb bench s2 --help</c> text.</summary>
    public static string Help() => Help(new S2BenchFlags());

    private static string Help(S2BenchFlags flags)
    {
        var text = new StringBuilder();
        text.AppendLine("kvdb bench s2: S2's workloads, as `s2 bench` reports them, over S2's API on kvdb (docs/api/s2-streams.md).");
        text.AppendLine();
        text.AppendLine("Usage:");
        text.AppendLine("  kvdb bench s2 [flags]");
        text.AppendLine("  kvdb bench s2 --endpoints http://127.0.0.1:12380,http://127.0.0.1:22380,http://127.0.0.1:32380");
        text.AppendLine("  kvdb bench s2 --workloads append --sessions 16 --record-size 1024 --batch 16 --inflight 4 --duration 8s");
        text.AppendLine("  kvdb bench s2 --workloads catchup --catchup-size 128MiB");
        text.AppendLine();
        text.AppendLine("It creates a basin bench-XXXXXXXX (deleted at the end) and its streams over S2's REST API, then");
        text.AppendLine("runs, in this order:");
        text.AppendLine("  append   for each --sessions count N, N append sessions (s2s over HTTP/2; cleartext h2 with");
        text.AppendLine("           prior knowledge on http://), each on its own stream and on endpoint i mod E, each");
        text.AppendLine("           sending AppendInputs of --batch records of --record-size bytes with at most");
        text.AppendLine("           --inflight unacknowledged: records/s and MiB/s (record bodies) acknowledged within");
        text.AppendLine("           the measured window, and ack latency from sending an input to its AppendAck.");
        text.AppendLine("  tail     one append session on the first endpoint, as above, and a read session tailing the");
        text.AppendLine("           same stream on the second: latency from each record's AppendAck to its arrival at");
        text.AppendLine("           the reader (one process, one clock; a record read before its ack counts as 0).");
        text.AppendLine("  catchup  fill a stream with --catchup-size of records (as many per append as S2 allows, from");
        text.AppendLine("           four sessions), then read it from seq_num 0 with one read session on the second");
        text.AppendLine("           endpoint: MiB/s and records/s from the request to the last record.");
        text.AppendLine();
        text.AppendLine("Flags (not read from the environment):");
        foreach (var flag in flags.Flags)
        {
            Row(text, flag.Usage, flag.Summary);
            text.Append(' ', 30).AppendLine(CultureInfo.InvariantCulture, $"[default: {flag.DefaultText}]");
        }

        Row(text, "--help", "Show this help and exit.");
        text.AppendLine();
        text.AppendLine("Exit codes: 0 every workload ran without an error, 1 setting up failed or a session ended");
        text.AppendLine("with an error (the report says which), 2 bad command line.");
        return text.ToString();
    }

    private static void Row(StringBuilder text, string usage, string summary)
        => text.Append("  ").Append(usage.PadRight(28)).AppendLine(summary);
}

/// <summary>Options to run <c>kvdb bench s2</c> with.</summary>
/// <param name="Options">The options.</param>
public sealed record S2BenchParseResult(S2BenchOptions Options) : BenchParseResult;

/// <summary>The flags of <c>kvdb bench s2</c>.</summary>
internal sealed class S2BenchFlags
{
    public S2BenchFlags()
    {
        Endpoints = new("endpoints", "URLS", BenchCommandLine.DefaultKvdbEndpoint, "Comma-separated base URLs of the members. Session i uses endpoint i mod N; readers use the second (or the only) one.", BenchCommandLine.ParseEndpoints);
        Workloads = new("workloads", "LIST", "append,tail,catchup", "Which workloads run: any of append, tail and catchup, comma-separated (always in that order).", WorkloadsValue);
        Sessions = new("sessions", "N,...", "1,16", "The append workload runs once per count: that many concurrent append sessions, 1 to 1000 each.", BenchFlagValues.WholeNumbers("sessions", 1, 1000));
        RecordSize = new("record-size", "BYTES", "1024", "Bytes per record body, 0 to 1 MiB - 8 (a record's metered size is 8 more).", WholeNumber.Between("record-size", 0, S2BenchOptions.MaxBatchMeteredBytes - S2BenchOptions.RecordOverhead));
        Batch = new("batch", "N", "16", "Records per append, 1 to 1000; --batch times (--record-size + 8) must fit S2's 1 MiB.", WholeNumber.Between("batch", 1, S2BenchOptions.MaxBatchRecords));
        Inflight = new("inflight", "N", "4", "Appends a session keeps unacknowledged at most, 1 to 1000.", WholeNumber.Between("inflight", 1, 1000));
        Duration = new("duration", "DURATION", "8s", "How long the append runs and the tail run are each measured (after the warm-up).", BenchFlagValues.Span("duration", TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(24)));
        Warmup = new("warmup", "DURATION", "1s", "Load before measuring starts, in each append and tail run. 0s for none.", BenchFlagValues.Span("warmup", TimeSpan.Zero, TimeSpan.FromHours(1)));
        CatchUpSize = new("catchup-size", "SIZE", "1GiB", "Record bodies the catch-up stream is filled with before it is read (e.g. 1GiB, 128MiB); rounded up to whole appends.", text => S2BenchCommandLine.ParseSize("catchup-size", text, 1, 1L << 40));
        Timeout = new("timeout", "DURATION", "30s", "The longest a set-up request, opening a session, or the last acks after the load stops may take.", BenchFlagValues.Span("timeout", TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1)));
        Json = new("json", null, "off", "Print the results as one JSON object on stdout instead of a table.", text => OnOff.Parse("json", text));
        CaCert = new("cacert", "FILE", "the system's roots", "https endpoints: trust this PEM CA for the servers' certificates.", BenchAuthentication.ReadCa, defaultValue: () => null);
        Token = new("token", "TOKEN", "none", "Send Authorization: Bearer TOKEN with every request (with auth off any token works, as in s2-lite).", text => text.Length > 0 && !text.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)) ? text : throw new FormatException("--token needs a token without spaces or control characters"), defaultValue: () => null);
        User = new("user", "NAME:PASSWORD", "none", "Send HTTP Basic authentication with every request.", BenchAuthentication.ParseUser, defaultValue: () => null);

        Command = new Command("s2", "kvdb bench s2: S2's workloads over S2's API on kvdb.") { new HelpOption() };
        foreach (var flag in Flags)
            Command.Add((Option)flag);
    }

    public Command Command { get; }

    /// <summary>Every flag but --help, in --help order.</summary>
    public IReadOnlyList<IFlag> Flags => [Endpoints, Workloads, Sessions, RecordSize, Batch, Inflight, Duration, Warmup, CatchUpSize, Timeout, Json, CaCert, Token, User];

    public Flag<List<Uri>> Endpoints { get; }
    public Flag<S2Workloads> Workloads { get; }
    public Flag<List<int>> Sessions { get; }
    public Flag<int> RecordSize { get; }
    public Flag<int> Batch { get; }
    public Flag<int> Inflight { get; }
    public Flag<TimeSpan> Duration { get; }
    public Flag<TimeSpan> Warmup { get; }
    public Flag<long> CatchUpSize { get; }
    public Flag<TimeSpan> Timeout { get; }
    public Flag<OnOff> Json { get; }
    public Flag<System.Security.Cryptography.X509Certificates.X509Certificate2Collection?> CaCert { get; }
    public Flag<string?> Token { get; }
    public Flag<string?> User { get; }

    /// <exception cref="FormatException">--token and --user are both given, or a batch does not fit one append.</exception>
    public S2BenchOptions Build(ParseResult result)
    {
        var token = result.GetValue(Token);
        var user = result.GetValue(User);
        if (token is not null && user is not null)
            throw new FormatException("--token and --user both set Authorization; give one of them");
        var recordSize = result.GetValue(RecordSize);
        var batch = result.GetValue(Batch);
        if ((long)batch * (S2BenchOptions.RecordOverhead + recordSize) > S2BenchOptions.MaxBatchMeteredBytes)
            throw new FormatException($"--batch {batch} of --record-size {recordSize} is {(long)batch * (S2BenchOptions.RecordOverhead + recordSize)} metered bytes, over S2's 1 MiB per append");
        var endpoints = result.GetValue(Endpoints) is { Count: > 0 } given ? given : BenchCommandLine.ParseEndpoints(BenchCommandLine.DefaultKvdbEndpoint);
        return new S2BenchOptions
        {
            Endpoints = endpoints,
            Workloads = result.GetValue(Workloads),
            Sessions = result.GetRequiredValue(Sessions),
            RecordSize = recordSize,
            Batch = batch,
            Inflight = result.GetValue(Inflight),
            Duration = result.GetValue(Duration),
            Warmup = result.GetValue(Warmup),
            CatchUpBytes = result.GetValue(CatchUpSize),
            Timeout = result.GetValue(Timeout),
            Json = result.GetValue(Json).IsOn,
            TrustedCa = result.GetValue(CaCert),
            Authorization = token is not null ? BenchAuthentication.Bearer(token, BenchTarget.Kvdb) : user,
        };
    }

    private static S2Workloads WorkloadsValue(string text)
    {
        var workloads = S2Workloads.None;
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            workloads |= part.ToLowerInvariant() switch
            {
                "append" => S2Workloads.Append,
                "tail" => S2Workloads.Tail,
                "catchup" or "catch-up" => S2Workloads.CatchUp,
                "all" => S2Workloads.All,
                _ => throw new FormatException($"--workloads '{part}' is not append, tail or catchup"),
            };
        }

        return workloads;
    }
}
