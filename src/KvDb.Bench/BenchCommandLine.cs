// Turns the flags of `kvdb bench` into BenchOptions, with the conventions of kvdb's own flags
// (CommandLine): --flag value or --flag=value, durations like 200ms/10s/1m, switches that take
// no value or true/false, one-line errors. Invariants:
//  - Every flag has exactly one entry in Flags: parsing and --help are both derived from it.
//  - Parse returns fully valid options, the help text, or one error message without newlines.
//  - Bench flags are not read from the environment: KVDB_* variables configure a member, and a
//    benchmark should be reproducible from its command line alone.
using System.Globalization;
using System.Text;
using KvDb.Cli;

namespace KvDb.Bench;

/// <summary>The result of parsing the <c>kvdb bench</c> command line.</summary>
public abstract record BenchParseResult
{
    /// <summary>Options to run the benchmark with.</summary>
    public sealed record Run(BenchOptions Options) : BenchParseResult;

    /// <summary>The user asked for help: print <paramref name="Text"/> and exit 0.</summary>
    public sealed record Print(string Text) : BenchParseResult;

    /// <summary>Bad input: print <paramref name="Message"/> to stderr and exit 2.</summary>
    public sealed record Error(string Message) : BenchParseResult;
}

/// <summary>Parses the flags of <c>kvdb bench</c>.</summary>
public static class BenchCommandLine
{
    private sealed record Flag(string Name, string? Value, string Default, string Help)
    {
        public bool IsSwitch => Value is null;
    }

    /// <summary>The default endpoint of each target: a single member on its usual port.</summary>
    public const string DefaultKvdbEndpoint = "http://127.0.0.1:12380";

    /// <summary>etcd's default client URL.</summary>
    public const string DefaultEtcdEndpoint = "http://127.0.0.1:2379";

    private const int MaxConcurrency = 100_000;
    private const int MaxKeys = 100_000_000;
    private const int MaxValueSize = 64 << 20;

    private static readonly Flag[] Flags =
    [
        new("endpoints", "URLS", $"{DefaultKvdbEndpoint} (etcd: {DefaultEtcdEndpoint})", "Comma-separated base URLs of the members' HTTP APIs. Worker i always talks to endpoint i mod N, so load is spread round-robin."),
        new("target", "kvdb|etcd", "kvdb", "kvdb: PUT/GET /{key}. etcd: its v3 JSON gateway, POST /v3/kv/put and /v3/kv/range with base64 keys and values."),
        new("duration", "DURATION", "10s", "How long results are recorded (after the warm-up)."),
        new("warmup", "DURATION", "1s", "Load before recording starts, excluded from the results (opens connections, warms caches). 0s for none."),
        new("concurrency", "N", "64", $"Closed loop: requests kept in flight (one per worker). Open loop: the most in flight at once. 1 to {MaxConcurrency}."),
        new("value-size", "BYTES", "100", "Bytes per value written."),
        new("keys", "N", "10000", "Size of the key space; each operation picks one of the keys bench-0..bench-(N-1) uniformly (the number zero-padded to one width)."),
        new("mix", "KIND=PCT,...", "put=50,get=50", "Share of each operation in percent, adding up to 100; kinds are put and get (e.g. put=100, get=100, put=20,get=80)."),
        new("consistency", "MODE", "linearizable", "Reads: linearizable, or local (kvdb ?consistency=local; etcd \"serializable\": true)."),
        new("target-rate", "OPS", "off (closed loop)", "Open loop: start OPS operations per second in total on a fixed schedule, whatever the answers; latency counts from each request's intended start, so a stall is not hidden (no coordinated omission)."),
        new("timeout", "DURATION", "10s", "A request not answered within this counts as a timeout error."),
        new("preload", null, "on when the mix has gets", "Write every key once before the warm-up so reads hit existing keys; --preload=false to skip."),
        new("json", null, "off", "Print the results as one JSON object on stdout instead of a table."),
        new("help", null, "", "Show this help and exit."),
    ];

    /// <summary>Parses the arguments that follow <c>bench</c>.</summary>
    public static BenchParseResult Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) && arg is not "-h")
                return new BenchParseResult.Error($"unexpected argument '{arg}' (flags start with --; see kvdb bench --help)");

            var (name, inline) = arg is "-h" ? ("help", null) : SplitFlag(arg[2..]);
            if (Array.Find(Flags, f => f.Name == name) is not { } flag)
                return new BenchParseResult.Error($"unknown flag '--{name}' (see kvdb bench --help)");

            if (flag.IsSwitch)
                values[name] = inline ?? "true";
            else if (inline is not null)
                values[name] = inline;
            else if (i + 1 < args.Count)
                values[name] = args[++i];
            else
                return new BenchParseResult.Error($"flag '--{name}' needs a value: --{name} {flag.Value}");
        }

        try
        {
            if (values.TryGetValue("help", out var help) && ParseSwitch("help", help))
                return new BenchParseResult.Print(Help());
            return new BenchParseResult.Run(Build(values));
        }
        catch (FormatException e)
        {
            return new BenchParseResult.Error(e.Message);
        }
    }

    private static (string Name, string? Value) SplitFlag(string text)
        => text.IndexOf('=') is var eq and >= 0 ? (text[..eq], text[(eq + 1)..]) : (text, null);

    private static BenchOptions Build(Dictionary<string, string> values)
    {
        string? Given(string name) => values.TryGetValue(name, out var v) ? v : null;

        var target = (Given("target") ?? "kvdb").ToLowerInvariant() switch
        {
            "kvdb" => BenchTarget.Kvdb,
            "etcd" => BenchTarget.Etcd,
            var other => throw new FormatException($"--target '{other}' is not kvdb or etcd"),
        };

        var endpoints = ParseEndpoints(Given("endpoints") ?? (target is BenchTarget.Etcd ? DefaultEtcdEndpoint : DefaultKvdbEndpoint));
        var duration = ParseDuration("duration", Given("duration") ?? "10s", TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(24));
        var warmup = ParseDuration("warmup", Given("warmup") ?? "1s", TimeSpan.Zero, TimeSpan.FromHours(1));
        var timeout = ParseDuration("timeout", Given("timeout") ?? "10s", TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1));
        var mixText = Given("mix") ?? "put=50,get=50";
        if (!OperationMix.TryParse(mixText, out var mix, out var mixError))
            throw new FormatException(mixError);

        var consistency = (Given("consistency") ?? "linearizable").ToLowerInvariant() switch
        {
            "linearizable" => BenchConsistency.Linearizable,
            "local" or "serializable" => BenchConsistency.Local,
            var other => throw new FormatException($"--consistency '{other}' is not linearizable or local"),
        };

        return new BenchOptions
        {
            Target = target,
            Endpoints = endpoints,
            Duration = duration,
            Warmup = warmup,
            Concurrency = ParseInt("concurrency", Given("concurrency") ?? "64", 1, MaxConcurrency),
            ValueSize = ParseInt("value-size", Given("value-size") ?? "100", 0, MaxValueSize),
            Keys = ParseInt("keys", Given("keys") ?? "10000", 1, MaxKeys),
            Mix = mix!,
            Consistency = consistency,
            TargetRate = Given("target-rate") is { } rate ? ParseInt("target-rate", rate, 1, 100_000_000) : null,
            Timeout = timeout,
            Preload = Given("preload") is { } preload ? ParseSwitch("preload", preload) : mix!.Has(OperationKind.Get),
            Json = Given("json") is { } json && ParseSwitch("json", json),
        };
    }

    /// <summary>Parses a comma-separated list of http(s) base URLs; each comes back ending in "/".</summary>
    public static List<Uri> ParseEndpoints(string text)
    {
        var endpoints = new List<Uri>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri)
                || uri.Scheme is not ("http" or "https")
                || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
            {
                throw new FormatException($"--endpoints entry '{part}' is not a base URL like {DefaultKvdbEndpoint}");
            }

            endpoints.Add(new Uri(uri.GetLeftPart(UriPartial.Authority) + "/"));
        }

        return endpoints;
    }

    private static int ParseInt(string name, string text, int min, int max)
    {
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw new FormatException($"--{name} '{text}' must be a whole number from {min} to {max}");
        return value;
    }

    private static TimeSpan ParseDuration(string name, string text, TimeSpan min, TimeSpan max)
    {
        if (!Duration.TryParse(text, out var value))
            throw new FormatException($"--{name} '{text}' is not a duration like 200ms, 10s or 1m");
        if (value < min || value > max)
            throw new FormatException($"--{name} '{text}' must be from {Describe(min)} to {Describe(max)}");
        return value;
    }

    private static string Describe(TimeSpan span) => span switch
    {
        { Ticks: 0 } => "0s",
        { TotalHours: >= 1 } => $"{span.TotalHours:0.#}h",
        { TotalSeconds: >= 1 } => $"{span.TotalSeconds:0.#}s",
        _ => $"{span.TotalMilliseconds:0.#}ms",
    };

    private static bool ParseSwitch(string name, string text) => text.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => throw new FormatException($"--{name} takes no value, or true/false; got '{text}'"),
    };

    /// <summary>The <c>kvdb bench --help</c> text.</summary>
    public static string Help()
    {
        var text = new StringBuilder();
        text.AppendLine("kvdb bench: a load generator for kvdb (or etcd, for comparison) over keep-alive HTTP/1.1.");
        text.AppendLine();
        text.AppendLine("Usage:");
        text.AppendLine("  kvdb bench [flags]");
        text.AppendLine("  kvdb bench --endpoints http://127.0.0.1:12380,http://127.0.0.1:22380,http://127.0.0.1:32380 --duration 10s --concurrency 64 --mix put=50,get=50");
        text.AppendLine("  kvdb bench --target etcd --endpoints http://127.0.0.1:2379 --mix get=100 --consistency local");
        text.AppendLine();
        text.AppendLine("Closed loop by default: each of --concurrency workers sends its next request as soon as the last");
        text.AppendLine("is answered. With --target-rate the load is open loop. A progress line (ops/s, errors) goes to");
        text.AppendLine("stderr once a second; at the end, throughput and p50/p90/p99/p99.9/max latency (HDR histogram,");
        text.AppendLine("per operation and in total, successful requests only) and errors by kind (http status, timeout,");
        text.AppendLine("connection) go to stdout. A get of a missing key is a success, counted as 'not found'.");
        text.AppendLine();
        text.AppendLine("Flags (not read from the environment):");
        foreach (var flag in Flags)
        {
            var left = flag.IsSwitch ? $"--{flag.Name}" : $"--{flag.Name} {flag.Value}";
            text.Append("  ").Append(left.PadRight(28)).AppendLine(flag.Help);
            if (flag.Default.Length > 0)
                text.Append(' ', 30).AppendLine($"[default: {flag.Default}]");
        }

        text.AppendLine();
        text.AppendLine("Durations are written 200ms, 2s, 1.5s, 1m. Exit codes: 0 the run finished with at least one");
        text.AppendLine("successful request, 1 preloading failed or nothing succeeded, 2 bad command line.");
        return text.ToString();
    }
}
