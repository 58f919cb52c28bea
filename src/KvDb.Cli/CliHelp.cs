// The --help of each client command, made from what the command declares (its usage lines, its
// arguments and flags, the global flags), so the help cannot drift from what is parsed.
using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using System.Text;
using KvDb.Flags;

namespace KvDb.Cli;

/// <summary>Writes the client commands' help.</summary>
internal static class CliHelp
{
    /// <summary>The exit codes, as every help text ends.</summary>
    public const string ExitCodesLine = "Exit codes: 0 done; 1 not found, condition or comparison failed, lock not acquired or lost, or refused by kvdb (401, 403, 507); 2 bad command line or input (and kvdb's 400, 413, 422); 3 no member reachable in time.";

    /// <summary>The list of client commands.</summary>
    public static string CommandList(IEnumerable<CliVerb> verbs)
    {
        var text = new StringBuilder("Client commands (kvdb COMMAND --help for each):").AppendLine();
        foreach (var verb in verbs)
            Row(text, verb.Path, verb.Summary);
        return text.ToString();
    }

    /// <summary>The --help of <paramref name="verb"/>, whose parsed <paramref name="command"/> has <paramref name="globals"/>.</summary>
    public static string For(CliVerb verb, Command command, GlobalFlags globals, IEnumerable<CliVerb> all)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"kvdb {verb.Path}: {verb.Summary}");
        text.AppendLine();
        text.AppendLine("Usage:");
        foreach (var line in verb.Usage)
            text.Append("  kvdb ").AppendLine(line);
        if (command.Arguments.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Arguments:");
            foreach (var argument in command.Arguments)
                Row(text, argument.Name, argument.Description ?? "");
        }

        var own = command.Options.Where(o => o is not HelpOption && !globals.Flags.Contains(o as IFlag)).ToList();
        if (own.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Flags:");
            foreach (var option in own)
                Row(text, option is IFlag flag ? flag.Usage : option.Name, (option.Description ?? "") + (option is IFlag { DefaultText: not ("" or "none") } given ? $" [default: {given.DefaultText}]" : ""));
        }

        text.AppendLine();
        text.AppendLine("Global flags (each can also be set with the environment variable shown; a flag wins):");
        foreach (var flag in globals.Flags)
        {
            Row(text, flag.Usage, flag.Summary);
            text.Append(' ', 32).AppendLine(CultureInfo.InvariantCulture, $"[{flag.EnvironmentName}; default: {flag.DefaultText}]");
        }

        Row(text, "--help", "Show this help and exit.");
        foreach (var note in verb.Notes)
            text.AppendLine().AppendLine(note);
        text.AppendLine();
        text.AppendLine(ExitCodesLine);
        text.AppendLine();
        text.Append(CommandList(all));
        return text.ToString();
    }

    private static void Row(StringBuilder text, string usage, string summary)
        => text.Append("  ").Append(usage.PadRight(30)).AppendLine(summary);
}
