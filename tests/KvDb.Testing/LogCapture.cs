// Collects log lines in memory so a test can check what a component said, and how often, or
// wait for it to say it reached a state (instead of sleeping). One object serves as a logger
// provider (added to a host's logging) and as a logger factory (handed to a component).
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace KvDb.Testing;

/// <summary>An ILoggerFactory/ILoggerProvider/ILogger that keeps every line.</summary>
public sealed class LogCapture : ILoggerFactory, ILoggerProvider, ILogger
{
    private readonly ConcurrentQueue<(LogLevel Level, string Message)> lines = new();

    public IReadOnlyList<(LogLevel Level, string Message)> Lines => [.. lines];

    /// <summary>Lines at <paramref name="level"/> that contain <paramref name="text"/>.</summary>
    public IReadOnlyList<string> Matching(LogLevel level, string text)
        => [.. lines.Where(l => l.Level == level && l.Message.Contains(text, StringComparison.Ordinal)).Select(l => l.Message)];

    /// <summary>Whether any line, at any level, contains <paramref name="text"/>.</summary>
    public bool Contains(string text) => lines.Any(l => l.Message.Contains(text, StringComparison.Ordinal));

    /// <summary>Every line as "Level: message", for failure messages.</summary>
    public string Describe() => string.Join('\n', lines.Select(l => $"{l.Level}: {l.Message}"));

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => lines.Enqueue((logLevel, formatter(state, exception)));

    public void Dispose()
    {
    }
}
