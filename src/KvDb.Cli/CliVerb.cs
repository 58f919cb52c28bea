// One client command (kvdb get, kvdb lease grant, ...): its words, help, arguments and flags,
// and what it does. Invariants: a verb declares its arguments and flags once, in Define, and
// --help is made from them (CliHelp); RunAsync returns an exit code of ExitCodes and lets the
// client's exceptions go up to CliProgram, which maps them.
using System.CommandLine;

namespace KvDb.Cli;

/// <summary>A client command.</summary>
internal abstract class CliVerb
{
    /// <summary>The words after "kvdb": <c>get</c>, <c>lease grant</c>.</summary>
    public abstract string Path { get; }

    /// <summary>One sentence for --help and the command list.</summary>
    public abstract string Summary { get; }

    /// <summary>Usage lines without "kvdb ", first the synopsis, then examples.</summary>
    public abstract IReadOnlyList<string> Usage { get; }

    /// <summary>Paragraphs of --help after the usage: what it prints, what its exit codes mean.</summary>
    public virtual IReadOnlyList<string> Notes => [];

    /// <summary>Adds the verb's arguments and own flags to <paramref name="command"/>.</summary>
    public abstract void Define(Command command);

    /// <summary>Runs the verb on a parse without errors; returns its exit code.</summary>
    public abstract Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token);

    /// <summary>A switch: a flag that takes no value.</summary>
    protected static Option<bool> Switch(string name, string description) => new("--" + name) { Arity = ArgumentArity.Zero, Description = description };

    /// <summary>A positional argument.</summary>
    protected static Argument<string> Required(string name, string description) => new(name) { Description = description, Arity = ArgumentArity.ExactlyOne };

    /// <summary>An optional positional argument.</summary>
    protected static Argument<string?> Optional(string name, string description) => new(name) { Description = description, Arity = ArgumentArity.ZeroOrOne };
}
