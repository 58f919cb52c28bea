// One command-line flag of kvdb or kvdb bench, as a System.CommandLine option with kvdb's
// conventions. Invariants:
//  - The value is written --name VALUE or --name=VALUE; a switch (no ValueName) stands alone or
//    takes true/false. Given twice, the last one wins (scripts append overrides to defaults).
//  - One text -> value function (parse) serves the command line, the environment and the
//    default: the default is DefaultText run through parse unless a default is given, so the
//    default --help shows is the one the program uses.
//  - parse reports bad input by throwing FormatException with a one-line message naming the
//    flag; it becomes a parse error of this option, never an exception out of Parse.
//  - Not given on the command line, the flag reads its environment variable (when it has one and
//    it is not empty), else its default.
using System.CommandLine;
using System.CommandLine.Parsing;

namespace KvDb.Flags;

/// <summary>A flag whose value parses to <typeparamref name="T"/>; see the file header for its conventions.</summary>
public sealed class Flag<T> : Option<T>, IFlag
{
    private readonly Func<string, T> parse;
    private Func<string, string?>? environment;

    /// <summary>Creates the flag <c>--<paramref name="name"/></c>.</summary>
    /// <param name="name">The name without dashes.</param>
    /// <param name="valueName">The value's placeholder in help, or null for a switch.</param>
    /// <param name="defaultText">The default as --help shows it.</param>
    /// <param name="summary">The help text.</param>
    /// <param name="parse">Text to value; throws <see cref="FormatException"/> with a one-line message.</param>
    /// <param name="defaultValue">The default, when <paramref name="defaultText"/> is prose rather than a value.</param>
    public Flag(string name, string? valueName, string defaultText, string summary, Func<string, T> parse, Func<T>? defaultValue = null)
        : base("--" + name)
    {
        this.parse = parse;
        FlagName = name;
        ValueName = valueName;
        DefaultText = defaultText;
        Summary = summary;
        Description = summary;
        HelpName = valueName;

        // Up to one value per occurrence (never "--flag a b"), any number of occurrences: the
        // parser below keeps the last, which is how the hand-written parser behaved.
        Arity = valueName is null ? ArgumentArity.ZeroOrMore : ArgumentArity.OneOrMore;
        AllowMultipleArgumentsPerToken = false;
        CustomParser = result => result.Tokens.Count > 0 ? Parse(result, result.Tokens[^1].Value) : GivenAlone(result);

        // System.CommandLine asks for the default also when a switch is given without a value
        // (and then skips CustomParser), so that case is told apart here by the option's result.
        var fallback = defaultValue ?? (() => parse(defaultText));
        DefaultValueFactory = result => result.Parent is OptionResult { Implicit: false } ? GivenAlone(result)
            : environment?.Invoke(EnvironmentName!) is { Length: > 0 } text ? Parse(result, text)
            : fallback();
    }

    /// <inheritdoc/>
    public string FlagName { get; }

    /// <inheritdoc/>
    public string? ValueName { get; }

    /// <inheritdoc/>
    public string Summary { get; }

    /// <inheritdoc/>
    public string DefaultText { get; }

    /// <inheritdoc/>
    public string? EnvironmentName { get; private set; }

    /// <summary>Makes the flag fall back to <paramref name="variable"/>, looked up with <paramref name="lookup"/> (injected so tests need no process environment).</summary>
    public Flag<T> FromEnvironment(string variable, Func<string, string?> lookup)
    {
        EnvironmentName = variable;
        environment = lookup;
        return this;
    }

    private T Parse(ArgumentResult result, string text)
    {
        try
        {
            return parse(text);
        }
        catch (FormatException e)
        {
            result.AddError(e.Message);
            return default!;
        }
    }

    // A switch given alone is on. A value flag without its value is already an error of
    // System.CommandLine's (worded by ParseErrors as "needs a value"), so any value will do.
    private T GivenAlone(ArgumentResult result) => ValueName is null ? Parse(result, "true") : default!;
}
