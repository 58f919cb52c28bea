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

    [LoggerMessage(4, LogLevel.Information, "kvdb {Operation} of '{Subject}' lost its stream from {Endpoint} ({Reason}); resuming from {Position}")]
    public static partial void StreamLost(ILogger logger, string operation, string subject, Uri endpoint, string reason, string position);

    [LoggerMessage(5, LogLevel.Debug, "kvdb {Operation} of '{Subject}' streaming from {Endpoint}, from {Position}")]
    public static partial void StreamOpened(ILogger logger, string operation, string subject, Uri endpoint, string position);

    [LoggerMessage(6, LogLevel.Warning, "kvdb lease {LeaseId} keep-alive failed ({Reason}); {SecondsLeft:0.#} s of its TTL left")]
    public static partial void KeepAliveFailed(ILogger logger, long leaseId, string reason, double secondsLeft);

    [LoggerMessage(7, LogLevel.Warning, "kvdb lease {LeaseId} is lost: {Reason}")]
    public static partial void LeaseLost(ILogger logger, long leaseId, string reason);
}
