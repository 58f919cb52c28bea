// kvdb's console log format: one line per event, "HH:mm:ss.fff info raft: Member 1 became the
// leader in term 2", readable in a terminal and behind goreman's name prefix.
// Invariants:
//  - The category is shortened to the subsystem it belongs to (raft, membership, state, http,
//    storage, ops, kvdb, dotnext); categories from elsewhere (Microsoft.*) stay in full.
//  - Event ids are never printed (the source generator derives them from method names; they
//    mean nothing to an operator).
//  - Timestamps are UTC; an exception follows its line, indented, with its stack trace.
using System.Globalization;
using KvDb.Core.State;
using KvDb.Node.Hosting;
using KvDb.Node.Observability;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace KvDb.Node.Hosting;

/// <summary>The kvdb console formatter.</summary>
public sealed class ConsoleLineFormatter() : ConsoleFormatter(FormatterName)
{
    /// <summary>The name the formatter is registered under.</summary>
    public const string FormatterName = "kvdb";

    // Types whose lines read better under another subsystem than their namespace's.
    private static readonly Dictionary<string, string> Overrides = new(StringComparer.Ordinal)
    {
        [typeof(KvdbProgram).FullName!] = "kvdb",
        [typeof(RequestLogging).FullName!] = "http",
        [typeof(StorageMetricsExporter).FullName!] = "storage",
        [typeof(KvStateMachine).FullName!] = "state",
    };

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Shortened = new(StringComparer.Ordinal);

    /// <summary>The short subsystem name printed for <paramref name="category"/>.</summary>
    public static string ShortCategory(string category) => Shortened.GetOrAdd(category, Shorten);

    /// <inheritdoc/>
    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null)
            return;

        textWriter.Write(DateTime.UtcNow.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture));
        textWriter.Write(' ');
        textWriter.Write(LevelOf(logEntry.LogLevel));
        textWriter.Write(' ');
        textWriter.Write(ShortCategory(logEntry.Category));
        textWriter.Write(": ");
        textWriter.Write(message);
        textWriter.Write('\n');
        if (logEntry.Exception is { } exception)
        {
            foreach (var line in exception.ToString().Split('\n'))
            {
                textWriter.Write("    ");
                textWriter.Write(line.TrimEnd('\r'));
                textWriter.Write('\n');
            }
        }
    }

    private static string LevelOf(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };

    private static string Shorten(string category)
    {
        if (Overrides.TryGetValue(category, out var name))
            return name;
        if (category.StartsWith("DotNext.", StringComparison.Ordinal))
            return "dotnext";
        if (!category.StartsWith("KvDb.", StringComparison.Ordinal))
            return category;

        // KvDb.Node.Raft.RaftNode -> raft; KvDb.Node.Membership.MembershipService -> membership.
        var parts = category.Split('.');
        return parts.Length >= 4 ? parts[2] switch
        {
            "Observability" => "ops",
            var subsystem => subsystem.ToLowerInvariant(),
        } : "kvdb";
    }
}

/// <summary>Adds kvdb's console log format.</summary>
public static class ConsoleLogging
{
    /// <summary>Logs to the console in kvdb's one-line format (<see cref="ConsoleLineFormatter"/>).</summary>
    public static ILoggingBuilder AddKvdbConsole(this ILoggingBuilder logging)
        => logging
            .AddConsole(static console => console.FormatterName = ConsoleLineFormatter.FormatterName)
            .AddConsoleFormatter<ConsoleLineFormatter, ConsoleFormatterOptions>();
}
