// The client's log messages, one method each (source-generated, no cost when disabled).
// Invariant: nothing here logs values or credentials; keys appear only at Debug.
using Microsoft.Extensions.Logging;

namespace KvDb.Client;

/// <summary>Log messages of <see cref="KvClient"/>.</summary>
internal static partial class KvClientLog
{
    [LoggerMessage(1, LogLevel.Warning, "kvdb member {Endpoint} failed {Operation} ({Reason}); trying another member")]
    public static partial void MemberFailed(ILogger logger, Uri endpoint, string operation, string reason);

    [LoggerMessage(2, LogLevel.Debug, "kvdb member {Endpoint} answered {Status} to {Operation}; retrying after {RetryAfterMs} ms")]
    public static partial void MemberBusy(ILogger logger, Uri endpoint, int status, string operation, double retryAfterMs);

    [LoggerMessage(3, LogLevel.Error, "kvdb {Operation} gave up after {Attempts} tries in {Seconds:0.#} s: {Reason}")]
    public static partial void GaveUp(ILogger logger, string operation, int attempts, double seconds, string reason);

    [LoggerMessage(4, LogLevel.Information, "kvdb watch of '{Key}' lost its stream from {Endpoint} ({Reason}); resuming after revision {Revision}")]
    public static partial void WatchLost(ILogger logger, string key, Uri endpoint, string reason, long revision);

    [LoggerMessage(5, LogLevel.Debug, "kvdb watch of '{Key}' streaming from {Endpoint} after revision {Revision}")]
    public static partial void WatchOpened(ILogger logger, string key, Uri endpoint, long revision);
}
