// Runs System.CommandLine over a command built of Flag<T>s, with only the features kvdb's
// command lines document. Invariant: nothing in the arguments is read other than as a flag or a
// stray word: no @response files (an argument starting with @ is an ordinary word), no
// [directives], no bundling of one-letter options.
using System.CommandLine;

namespace KvDb.Flags;

/// <summary>Parses arguments with kvdb's command-line conventions.</summary>
public static class FlagParser
{
    private static readonly ParserConfiguration Configuration = new()
    {
        EnablePosixBundling = false,
        ResponseFileTokenReplacer = null,
    };

    /// <summary>Parses <paramref name="args"/> against <paramref name="command"/>; never throws for bad input.</summary>
    public static ParseResult Parse(Command command, IReadOnlyList<string> args)
    {
        if (command is RootCommand root)
            root.Directives.Clear();
        return command.Parse(args, Configuration);
    }
}
