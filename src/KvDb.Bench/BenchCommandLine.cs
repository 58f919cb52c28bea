// Turns the flags of `kvdb bench` into BenchOptions, on System.CommandLine, with the conventions
// of kvdb's own flags (KvDb.Flags): --flag value or --flag=value, durations like 200ms/10s/1m,
// switches that take no value or true/false, the last of a repeated flag wins, one-line errors.
// Invariants:
//  - Every flag is declared once, in BenchFlags: parsing and --help are both derived from it.
//  - Parse returns fully valid options, the help text, or one error message without newlines.
//  - Bench flags are not read from the environment: KVDB_* variables configure a member, and a
//    benchmark should be reproducible from its command line alone.
using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using System.Text;
using KvDb.Flags;

namespace KvDb.Bench;

/// <summary>Parses the flags of <c>kvdb bench</c>.</summary>
public static class BenchCommandLine
{
    /// <summary>The default endpoint of each target: a single member on its usual port.</summary>
    public const string DefaultKvdbEndpoint = "http://127.0.0.1:12380";

    /// <summary>etcd's default client URL.</summary>
    public const string DefaultEtcdEndpoint = "http://127.0.0.1:2379";

    /// <summary>Parses the arguments that follow <c>bench</c>.</summary>
    public static BenchParseResult Parse(IReadOnlyList<string> args)
    {
        var flags = new BenchFlags();
        return BenchConsole.Parse(flags.Command, args, "kvdb bench", () => Help(flags), result => new BenchParseResult.Run(flags.Build(result)));
    }

    /// <summary>Parses a comma-separated list of http(s) base URLs; each comes back ending in "/".</summary>
    public static List<Uri> ParseEndpoints(string text)
    {
        var endpoints = new List<Uri>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
            endpoints.Add(BaseUrl(part) ?? throw new FormatException($"--endpoints entry '{part}' is not a base URL like {DefaultKvdbEndpoint}"));

        return endpoints;
    }

    /// <summary>Parses the one http(s) base URL of <c>--<paramref name="flag"/></c>; it comes back ending in "/".</summary>
    public static Uri ParseEndpoint(string flag, string text)
        => BaseUrl(text.Trim()) ?? throw new FormatException($"--{flag} '{text}' is not a base URL like {DefaultKvdbEndpoint}");

    // The URL as "scheme://host:port/", or null when it is not a bare http(s) base URL.
    private static Uri? BaseUrl(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https")
            || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            return null;
        }

        return new Uri(uri.GetLeftPart(UriPartial.Authority) + "/");
    }

    /// <summary>The <c>kvdb bench --help</c> text.</summary>
    public static string Help() => Help(new BenchFlags());

    private static string Help(BenchFlags flags)
    {
        var text = new StringBuilder();
        text.AppendLine(flags.Command.Description);
        text.AppendLine();
        text.AppendLine("Usage:");
        text.AppendLine("  kvdb bench [flags]");
        text.AppendLine("  kvdb bench s2 [flags]      S2's workloads over S2's API (kvdb bench s2 --help)");
        text.AppendLine("  kvdb bench --endpoints http://127.0.0.1:12380,http://127.0.0.1:22380,http://127.0.0.1:32380 --duration 10s --concurrency 64 --mix put=50,get=50");
        text.AppendLine("  kvdb bench --target etcd --endpoints http://127.0.0.1:2379 --mix get=100 --consistency local");
        text.AppendLine("  kvdb bench --endpoints https://127.0.0.1:12380 --cacert certs/ca.pem --user root:secret");
        text.AppendLine("  kvdb bench --mix put=100 --concurrency 64 --watchers 1000 --watch-ranges 250 --endpoints http://127.0.0.1:12380,http://127.0.0.1:22380,http://127.0.0.1:32380");
        text.AppendLine();
        text.AppendLine("Closed loop by default: each of --concurrency workers sends its next request as soon as the last");
        text.AppendLine("is answered. With --target-rate the load is open loop. A progress line (ops/s, errors) goes to");
        text.AppendLine("stderr once a second; at the end, throughput and p50/p90/p99/p99.9/max latency (HDR histogram,");
        text.AppendLine("per operation and in total, successful requests only) and errors by kind (http status, timeout,");
        text.AppendLine("connection) go to stdout. A get of a missing key is a success, counted as 'not found'.");
        text.AppendLine();
        text.AppendLine("Watch mode (--watchers N, kvdb only): N watches stay open on one member for the whole run; each");
        text.AppendLine("measured put's revision and acknowledgement time are kept, and the report adds a watch section:");
        text.AppendLine("deliveries expected, delivered, missing and duplicated, latency from a put's acknowledgement to");
        text.AppendLine("each matching watcher (p50/p90/p99/p99.9/max), and the member's memory before and after.");
        text.AppendLine();
        text.AppendLine("Flags (not read from the environment):");
        foreach (var flag in flags.Flags)
        {
            Row(text, flag.Usage, flag.Summary);
            text.Append(' ', 30).AppendLine(CultureInfo.InvariantCulture, $"[default: {flag.DefaultText}]");
        }

        Row(text, "--help", "Show this help and exit.");
        text.AppendLine();
        text.AppendLine("Durations are written 200ms, 2s, 1.5s, 1m. Exit codes: 0 the run finished with at least one");
        text.AppendLine("successful request, 1 preloading or opening the watches failed, or nothing succeeded, 2 bad");
        text.AppendLine("command line.");
        return text.ToString();
    }

    private static void Row(StringBuilder text, string usage, string summary)
        => text.Append("  ").Append(usage.PadRight(28)).AppendLine(summary);
}
