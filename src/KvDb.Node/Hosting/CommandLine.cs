// Turns command-line flags and KVDB_* environment variables into NodeOptions, on System.CommandLine.
// Invariants:
//  - A flag given on the command line wins over the same setting in the environment.
//  - Every flag is declared once, in NodeFlags: parsing, the environment names and --help are all
//    derived from it, so they cannot drift apart.
//  - Parse either returns fully valid options, a text to print, or one error message fit for a
//    single line; it never prints, exits or throws for bad input (kvdb prints and picks the exit code).
//  - Syntax problems (unknown flag, stray word, missing value) win over --help, --help and
//    --version over bad values, as with the hand-written parser this replaced.
using System.CommandLine;
using System.CommandLine.Help;
using System.Text;
using KvDb.Flags;

namespace KvDb.Node.Hosting;

/// <summary>Parses kvdb's flags and environment variables.</summary>
public static class CommandLine
{
    /// <summary>Parses <paramref name="args"/>, falling back to <paramref name="environment"/> for flags not given.</summary>
    public static CommandLineOutcome Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        var flags = new NodeFlags(environment);
        var result = FlagParser.Parse(flags.Command, args);

        if (ParseErrors.Syntax(result, "kvdb") is { } syntax)
            return new CommandLineOutcome.Error(syntax);
        if (Given<HelpOption>(flags.Command, result))
            return new CommandLineOutcome.Print(Help(flags));
        if (Given<VersionOption>(flags.Command, result))
            return new CommandLineOutcome.Print("kvdb " + Version);
        if (ParseErrors.First(result) is { } error)
            return new CommandLineOutcome.Error(error);

        try
        {
            return new CommandLineOutcome.Run(flags.Build(result));
        }
        catch (FormatException e)
        {
            return new CommandLineOutcome.Error(e.Message);
        }
    }

    /// <summary>The version of this build.</summary>
    public static string Version => typeof(CommandLine).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>The --help text.</summary>
    public static string Help() => Help(new NodeFlags(static _ => null));

    private static bool Given<TOption>(RootCommand command, System.CommandLine.ParseResult result)
        where TOption : Option
        => command.Options.OfType<TOption>().Any(option => result.GetResult(option) is { Implicit: false });

    private static string Help(NodeFlags flags)
    {
        var text = new StringBuilder();
        text.AppendLine(flags.Command.Description);
        text.AppendLine();
        text.AppendLine("Usage:");
        text.AppendLine("  kvdb [flags]                 run one cluster member");
        text.AppendLine("  kvdb bench [flags]           load-test kvdb (or etcd) over HTTP; see kvdb bench --help");
        text.AppendLine("  kvdb snapshot save|status|restore ...   back up a cluster, check a backup, restore one; see kvdb snapshot --help");
        text.AppendLine("  kvdb kafka-bridge --config bridge.toml   consume Kafka topics into lists, exactly once; see kvdb kafka-bridge --help");
        text.AppendLine("  kvdb get|put|del|range|watch|txn|lease|lock|elect|list|members|status ...   a client of a running cluster; see kvdb get --help");
        text.AppendLine("  kvdb --id 1 --cluster http://127.0.0.1:12379,http://127.0.0.1:22379,http://127.0.0.1:32379 --port 12380");
        text.AppendLine();
        text.AppendLine("With no flags: a single-member cluster, Raft on 127.0.0.1:12379, HTTP on 127.0.0.1:12380, data in data/node-1.");
        text.AppendLine();
        text.AppendLine("Flags (each can also be set with the environment variable shown; a flag wins):");
        foreach (var flag in flags.Flags)
        {
            Row(text, flag.Usage, flag.Summary);
            text.Append(' ', 32).AppendLine($"[{flag.EnvironmentName}; default: {flag.DefaultText}]");
        }

        Row(text, "--help", "Show this help and exit.");
        Row(text, "--version", "Show the version and exit.");
        return text.ToString();
    }

    // A usage longer than its column gets the summary on the next line, aligned, so the two
    // never run together.
    private static void Row(StringBuilder text, string usage, string summary)
    {
        text.Append("  ").Append(usage.PadRight(30));
        if (usage.Length >= 30)
            text.AppendLine().Append(' ', 32);
        text.AppendLine(summary);
    }
}
