// Keeps a refused caller from flooding the log: Raft retries a heartbeat every few dozen
// milliseconds, and each retry would otherwise log the same refusal again.
// Invariant: at most one line per key (a remote address, a peer host) per period; the table is
// cleared if it grows past a bound, so a scan from many addresses cannot exhaust memory.
using System.Collections.Concurrent;

namespace KvDb.Node.Security;

/// <summary>Says whether a warning about a key may be logged now.</summary>
public sealed class WarningLimiter(TimeSpan period)
{
    private const int MaxKeys = 10_000;
    private readonly ConcurrentDictionary<string, long> next = new(StringComparer.Ordinal);
    private readonly long periodMs = (long)period.TotalMilliseconds;

    /// <summary>True when nothing was logged about <paramref name="key"/> in the last period; then the period starts again.</summary>
    public bool ShouldLog(string key)
    {
        var now = Environment.TickCount64;
        if (next.TryGetValue(key, out var allowedAt) && now < allowedAt)
            return false;
        if (next.Count >= MaxKeys)
            next.Clear();
        next[key] = now + periodMs;
        return true;
    }
}
