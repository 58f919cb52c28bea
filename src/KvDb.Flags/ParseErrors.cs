// Words System.CommandLine's parse errors as kvdb has always worded them, one line each.
// Invariants:
//  - Syntax problems (an unknown flag, a stray word, a flag without its value) are found before
//    anything else, so "--help" next to a typo still reports the typo, as it always did.
//  - Every message is a single line that names the flag (or the stray word) and, for syntax
//    problems, points at the program's --help.
using System.CommandLine;
using System.CommandLine.Parsing;

namespace KvDb.Flags;

/// <summary>Turns a <see cref="ParseResult"/>'s errors into kvdb's one-line messages.</summary>
public static class ParseErrors
{
    /// <summary>The first unknown flag, stray word or flag without its value; null when there is none.</summary>
    /// <param name="result">The parse to check.</param>
    /// <param name="program">How the user runs the program, for "see ... --help" (e.g. <c>kvdb bench</c>).</param>
    public static string? Syntax(ParseResult result, string program)
    {
        if (result.UnmatchedTokens.Count > 0)
        {
            var token = result.UnmatchedTokens[0];
            if (!token.StartsWith('-'))
                return $"unexpected argument '{token}' (flags start with --; see {program} --help)";
            var name = token.TrimStart('-').Split('=', ':')[0];
            return $"unknown flag '--{name}' (see {program} --help)";
        }

        foreach (var option in result.CommandResult.Command.Options)
        {
            // An occurrence without its value: "--port" last, or "--port --port 1".
            if (option is IFlag { ValueName: { } value } flag
                && result.GetResult(option) is { Implicit: false } given
                && given.Tokens.Count < given.IdentifierTokenCount)
            {
                return $"flag '--{flag.FlagName}' needs a value: --{flag.FlagName} {value}";
            }
        }

        return null;
    }

    /// <summary>The first remaining error (a bad value, from a flag or the environment); null when the parse succeeded.</summary>
    public static string? First(ParseResult result)
        => result.Errors.Count > 0 ? OneLine(result.Errors[0].Message) : null;

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
