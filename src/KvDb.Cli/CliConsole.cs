// Where a client command reads and writes: the process's console, or the readers and writers a
// test hands in. Invariant: commands never touch System.Console themselves, so they run
// in-process under tests exactly as from a shell.

namespace KvDb.Cli;

/// <summary>The streams and environment a client command runs with.</summary>
/// <param name="In">Standard input (a put's value, a transaction's JSON).</param>
/// <param name="Out">Standard output: results only.</param>
/// <param name="Error">Standard error: messages.</param>
/// <param name="Environment">Looks up environment variables (KVDB_ENDPOINTS, ...).</param>
/// <param name="InheritChildStreams">Whether a command run under a lock uses this process's own stdin, stdout and stderr (a terminal); otherwise its output is copied to <paramref name="Out"/> and <paramref name="Error"/>.</param>
public sealed record CliConsole(TextReader In, TextWriter Out, TextWriter Error, Func<string, string?> Environment, bool InheritChildStreams = false)
{
    /// <summary>The process's console and environment.</summary>
    public static CliConsole System => new(Console.In, Console.Out, Console.Error, global::System.Environment.GetEnvironmentVariable, InheritChildStreams: true);
}
