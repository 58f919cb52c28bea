// What the `kvdb bench` command line asks for: run, print the help, or reject the input.
// (Not named ParseResult: that is System.CommandLine's.)
using System.Diagnostics.CodeAnalysis;

namespace KvDb.Bench;

/// <summary>The result of parsing the <c>kvdb bench</c> command line.</summary>
public abstract record BenchParseResult
{
    /// <summary>Options to run the benchmark with.</summary>
    public sealed record Run(BenchOptions Options) : BenchParseResult;

    /// <summary>The user asked for help: print <paramref name="Text"/> and exit 0.</summary>
    public sealed record Print(string Text) : BenchParseResult;

    /// <summary>Bad input: print <paramref name="Message"/> to stderr and exit 2.</summary>
    [SuppressMessage("Naming", "CA1716:Identifiers should not match keywords", Justification = "Error is a keyword only in Visual Basic; this type belongs to the kvdb executable, whose only callers are C#, and it is not in a NuGet package.")]
    public sealed record Error(string Message) : BenchParseResult;
}
