// What every `kvdb bench` subcommand does the same way around its own work: parsing its flags in
// kvdb's order (syntax problems, then --help, then bad values) and running with Ctrl+C handled.
// Invariant: the first Ctrl+C cancels the run, which still reports what it measured; a second one
// is not cancelled and ends the process.
using System.CommandLine;
using System.CommandLine.Help;
using KvDb.Flags;

namespace KvDb.Bench;

/// <summary>Parsing and console handling shared by the bench subcommands.</summary>
internal static class BenchConsole
{
    /// <summary>Parses <paramref name="args"/> against <paramref name="command"/>: an error, the help text, or <paramref name="build"/>'s options (a <see cref="FormatException"/> from it is an error).</summary>
    public static BenchParseResult Parse(Command command, IReadOnlyList<string> args, string name, Func<string> help, Func<ParseResult, BenchParseResult> build)
    {
        var result = FlagParser.Parse(command, args);
        if (ParseErrors.Syntax(result, name) is { } syntax)
            return new BenchParseResult.Error(syntax);
        if (command.Options.OfType<HelpOption>().Any(option => result.GetResult(option) is { Implicit: false }))
            return new BenchParseResult.Print(help());
        if (ParseErrors.First(result) is { } error)
            return new BenchParseResult.Error(error);
        try
        {
            return build(result);
        }
        catch (FormatException e)
        {
            return new BenchParseResult.Error(e.Message);
        }
    }

    /// <summary>Runs <paramref name="run"/> with a token the first Ctrl+C cancels; returns its exit code.</summary>
    public static async Task<int> RunAsync(Func<CancellationToken, Task<int>> run)
    {
        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = !stop.IsCancellationRequested;
            stop.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return await run(stop.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
