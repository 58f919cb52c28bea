// An ILoggerFactory that keeps every formatted message, so a test can wait for a component to
// say it reached a state (instead of sleeping).
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace KvDb.Client.Tests;

public sealed class LogCollector : ILoggerFactory, ILoggerProvider
{
    private readonly ConcurrentQueue<string> messages = new();

    public bool Contains(string text) => messages.Any(m => m.Contains(text, StringComparison.Ordinal));

    public string All => string.Join('\n', messages);

    public ILogger CreateLogger(string categoryName) => new Collecting(messages);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Collecting(ConcurrentQueue<string> messages) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => messages.Enqueue($"{logLevel}: {formatter(state, exception)}");
    }
}
