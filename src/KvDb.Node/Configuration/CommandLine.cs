// Turns command-line flags and KVDB_* environment variables into NodeOptions.
// Invariants:
//  - A flag given on the command line wins over the same setting in the environment.
//  - Every flag has exactly one entry in Flags: parsing, the environment names and --help
//    are all derived from it, so they cannot drift apart.
//  - Parse either returns fully valid options or one error message fit for a single line.
using System.Globalization;
using System.Net;
using System.Text;
using KvDb.Cli;
using Microsoft.Extensions.Logging;

namespace KvDb.Node.Configuration;

/// <summary>The result of parsing the command line.</summary>
public abstract record ParseResult
{
    /// <summary>Options to run with.</summary>
    public sealed record Run(NodeOptions Options) : ParseResult;

    /// <summary>The user asked for help or the version: print <paramref name="Text"/> and exit 0.</summary>
    public sealed record Print(string Text) : ParseResult;

    /// <summary>Bad input: print <paramref name="Message"/> to stderr and exit 2.</summary>
    public sealed record Error(string Message) : ParseResult;
}

/// <summary>Parses kvdb's flags and environment variables.</summary>
public static class CommandLine
{
    private sealed record Flag(string Name, string? Value, string Default, string Help)
    {
        public string EnvironmentName => "KVDB_" + Name.Replace('-', '_').ToUpperInvariant();
        public bool IsSwitch => Value is null;
    }

    private const string DefaultCluster = "http://127.0.0.1:12379";

    private static readonly Flag[] Flags =
    [
        new("id", "N", "1", "This member's 1-based position in --cluster."),
        new("cluster", "URLS", DefaultCluster, "Comma-separated Raft peer URLs (http://host:port) of all members, in id order; seeds the membership on a first start. Raft traffic uses DotNext's TCP transport on host:port."),
        new("port", "PORT", "12380", "Port of the HTTP API (it listens on the host of this member's peer URL)."),
        new("join", null, "off", "Join an existing cluster instead of bootstrapping one: wait until a member adds this one."),
        new("data-dir", "DIR", "data/node-<id>", "Directory of the Raft log and snapshots; created when missing."),
        new("in-memory", null, "off", "Keep nothing on disk (the log lives in a temporary memory-backed directory, removed on exit). For demos and tests."),
        new("max-value-bytes", "BYTES", "1048576", "Largest value a PUT accepts; larger gets 413."),
        new("request-timeout", "DURATION", "5s", "How long a request waits for a leader, a quorum or a read barrier before 503."),
        new("snapshot-interval", "ENTRIES", "10000", "Applied log entries after which the storage engine is flushed (a new snapshot; the log before it is deleted), even if its memtable is not full."),
        new("memory-budget", "BYTES", "64MiB", "Memory for the storage engine: a quarter per memtable (at most two), half for the block cache. Suffixes KiB, MiB, GiB."),
        new("min-free-disk", "BYTES", "256MiB", "Free space the data directory's filesystem must keep: below it writes get 507 (reads go on), so the log never runs out of space. 0 turns the check off."),
        new("election-timeout", "DURATION", "1s", "Lower bound of the randomized election timeout (the upper is twice it); Raft requests, snapshot transfers included, must finish within 90% of it."),
        new("throttle-apply", "DURATION", "0s", "Experiment knob: pause before each entry this member applies, so local/Eventual reads visibly lag and Strong reads wait."),
        new("throttle-append-acks", "DURATION", "0s", "Experiment knob: pause before this member acknowledges each write it took from a client."),
        new("log-level", "LEVEL", "Information", "Trace, Debug, Information, Warning, Error or None."),
        new("help", null, "", "Show this help and exit."),
        new("version", null, "", "Show the version and exit."),
    ];

    /// <summary>Parses <paramref name="args"/>, falling back to <paramref name="environment"/> for flags not given.</summary>
    public static ParseResult Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var flag in Flags)
        {
            if (environment(flag.EnvironmentName) is { Length: > 0 } fromEnvironment)
                values[flag.Name] = fromEnvironment;
        }

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) && !(arg is "-h"))
                return new ParseResult.Error($"unexpected argument '{arg}' (flags start with --; see kvdb --help)");

            var (name, inline) = arg is "-h" ? ("help", null) : SplitFlag(arg[2..]);
            if (Array.Find(Flags, f => f.Name == name) is not { } flag)
                return new ParseResult.Error($"unknown flag '--{name}' (see kvdb --help)");

            if (flag.IsSwitch)
            {
                values[name] = inline ?? "true";
            }
            else if (inline is not null)
            {
                values[name] = inline;
            }
            else if (i + 1 < args.Count)
            {
                values[name] = args[++i];
            }
            else
            {
                return new ParseResult.Error($"flag '--{name}' needs a value: --{name} {flag.Value}");
            }
        }

        if (IsOn(values, "help"))
            return new ParseResult.Print(Help());
        if (IsOn(values, "version"))
            return new ParseResult.Print("kvdb " + Version);

        try
        {
            return new ParseResult.Run(Build(values));
        }
        catch (FormatException e)
        {
            return new ParseResult.Error(e.Message);
        }
    }

    /// <summary>The version of this build.</summary>
    public static string Version => typeof(CommandLine).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private static (string Name, string? Value) SplitFlag(string text)
        => text.IndexOf('=') is var eq and >= 0 ? (text[..eq], text[(eq + 1)..]) : (text, null);

    private static bool IsOn(Dictionary<string, string> values, string name)
        => values.TryGetValue(name, out var v) && ParseSwitch(name, v);

    private static NodeOptions Build(Dictionary<string, string> values)
    {
        string Get(string name) => values.TryGetValue(name, out var v) ? v : Array.Find(Flags, f => f.Name == name)!.Default;

        var urls = ParseClusterUrls(Get("cluster"));
        var id = ParseInt("id", Get("id"), 1, int.MaxValue);
        if (id > urls.Count)
            throw new FormatException($"--id {id} is outside --cluster, which lists {urls.Count} member(s); ids are 1..{urls.Count}");

        var endpoints = urls.Select(Resolve).ToArray();
        for (var i = 0; i < endpoints.Length; i++)
        {
            for (var j = 0; j < i; j++)
            {
                if (endpoints[i].Equals(endpoints[j]))
                    throw new FormatException($"--cluster lists {urls[i]} twice (members {j + 1} and {i + 1})");
            }
        }

        var level = Get("log-level");
        if (!Enum.TryParse<LogLevel>(level, ignoreCase: true, out var logLevel) || !Enum.IsDefined(logLevel))
            throw new FormatException($"--log-level '{level}' is not one of Trace, Debug, Information, Warning, Error, Critical, None");

        var electionTimeout = ParseDuration("election-timeout", Get("election-timeout"));
        if (electionTimeout < TimeSpan.FromMilliseconds(50) || electionTimeout > TimeSpan.FromSeconds(60))
            throw new FormatException("--election-timeout must be between 50ms and 60s");

        return new NodeOptions
        {
            Id = id,
            Cluster = endpoints,
            ClusterUrls = urls,
            Port = ParseInt("port", Get("port"), 1, 65535),
            Join = ParseSwitch("join", Get("join")),
            InMemory = ParseSwitch("in-memory", Get("in-memory")),
            DataDir = values.TryGetValue("data-dir", out var dir) ? dir : Path.Combine("data", $"node-{id}"),
            MaxValueBytes = ParseInt("max-value-bytes", Get("max-value-bytes"), 1, 64 << 20),
            RequestTimeout = ParseDuration("request-timeout", Get("request-timeout")),
            SnapshotInterval = ParseInt("snapshot-interval", Get("snapshot-interval"), 2, int.MaxValue),
            MemoryBudgetBytes = ParseBytes("memory-budget", Get("memory-budget"), 4L << 20, 64L << 30),
            MinFreeDiskBytes = ParseBytes("min-free-disk", Get("min-free-disk"), 0, 1L << 50),
            ElectionTimeoutMs = (int)electionTimeout.TotalMilliseconds,
            ThrottleApply = ParseDuration("throttle-apply", Get("throttle-apply")),
            ThrottleAppendAcks = ParseDuration("throttle-append-acks", Get("throttle-append-acks")),
            LogLevel = logLevel,
        };
    }

    private static List<string> ParseClusterUrls(string text)
    {
        var urls = new List<string>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            urls.Add(PeerUrl.Normalize(part)
                ?? throw new FormatException($"--cluster entry '{part}' is not a peer URL like {PeerUrl.Example}"));
        }

        return urls;
    }

    private static IPEndPoint Resolve(string url)
    {
        try
        {
            return PeerUrl.Resolve(url);
        }
        catch (FormatException e)
        {
            throw new FormatException($"--cluster {e.Message}");
        }
    }

    private static int ParseInt(string name, string text, int min, int max)
    {
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw new FormatException($"--{name} '{text}' must be a whole number from {min} to {max}");
        return value;
    }

    private static long ParseBytes(string name, string text, long min, long max)
    {
        if (!ByteSize.TryParse(text, out var value) || value < min || value > max)
            throw new FormatException($"--{name} '{text}' must be a size from {ByteSize.Format(min)} to {ByteSize.Format(max)}, like 64MiB");
        return value;
    }

    private static bool ParseSwitch(string name, string text) => text.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" or "" => false,
        _ => throw new FormatException($"--{name} takes no value, or true/false; got '{text}'"),
    };

    /// <summary>Parses a duration written like "2s", "200ms", "1m" or "1.5s".</summary>
    public static TimeSpan ParseDuration(string name, string text)
    {
        if (Duration.TryParse(text, out var value))
            return value;
        throw new FormatException($"--{name} '{text}' is not a duration like 200ms, 2s or 1m");
    }

    /// <summary>The --help text.</summary>
    public static string Help()
    {
        var text = new StringBuilder();
        text.AppendLine("kvdb: a Raft-replicated key-value store with a REST API.");
        text.AppendLine();
        text.AppendLine("Usage:");
        text.AppendLine("  kvdb [flags]                 run one cluster member");
        text.AppendLine("  kvdb bench [flags]           load-test kvdb (or etcd) over HTTP; see kvdb bench --help");
        text.AppendLine("  kvdb --id 1 --cluster http://127.0.0.1:12379,http://127.0.0.1:22379,http://127.0.0.1:32379 --port 12380");
        text.AppendLine();
        text.AppendLine("With no flags: a single-member cluster, Raft on 127.0.0.1:12379, HTTP on 127.0.0.1:12380, data in data/node-1.");
        text.AppendLine();
        text.AppendLine("Flags (each can also be set with the environment variable shown; a flag wins):");
        foreach (var flag in Flags)
        {
            var left = flag.IsSwitch ? $"--{flag.Name}" : $"--{flag.Name} {flag.Value}";
            text.Append("  ").Append(left.PadRight(30)).AppendLine(flag.Help);
            var details = flag.Name is "help" or "version" ? "" : $"[{flag.EnvironmentName}; default: {flag.Default}]";
            if (details.Length > 0)
                text.Append(' ', 32).AppendLine(details);
        }

        return text.ToString();
    }
}
