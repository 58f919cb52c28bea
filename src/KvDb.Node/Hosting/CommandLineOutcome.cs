// What kvdb's command line asks for: run a member, print something, or reject the input.
// Named "outcome" rather than "result" so that it never clashes with System.CommandLine.ParseResult.
using System.Diagnostics.CodeAnalysis;

namespace KvDb.Node.Hosting;

/// <summary>The outcome of parsing the command line.</summary>
public abstract record CommandLineOutcome
{
    /// <summary>Options to run with.</summary>
    public sealed record Run(NodeOptions Options) : CommandLineOutcome;

    /// <summary>The user asked for help or the version: print <paramref name="Text"/> and exit 0.</summary>
    public sealed record Print(string Text) : CommandLineOutcome;

    /// <summary>Bad input: print <paramref name="Message"/> to stderr and exit 2.</summary>
    [SuppressMessage("Naming", "CA1716:Identifiers should not match keywords", Justification = "Error is a keyword only in Visual Basic; this type belongs to the kvdb executable, whose only callers are C#, and it is not in a NuGet package.")]
    public sealed record Error(string Message) : CommandLineOutcome;
}
