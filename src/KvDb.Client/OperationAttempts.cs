// The tries of one logical operation: when it must give up, which member it used last, what
// went wrong last. Metrics and log lines about retries and failovers come from here.
// Invariants: no try starts after the deadline (OperationTimeout from the first try); a try
// after the first counts as a retry, and one on another member than the failed one as a failover.
// An at-most-once operation (a write kvdb cannot deduplicate, such as an S2 append without
// match_seq_num) is tried again only when the failed try surely applied nothing; otherwise it
// ends with InDoubt, whose exception says the outcome is unknown.
// Until a member accepts a connection, the deadline is the earlier of the timeout and the
// unreachable timeout (when there is one): refused connections fail fast, while a member that
// accepted (and answers slowly, or 503) keeps the operation going for its whole timeout.
using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;

namespace KvDb.Client;

/// <summary>Bookkeeping of one operation's tries.</summary>
internal sealed class OperationAttempts(string operation, string? idempotencyKey, TimeSpan timeout, TimeSpan? unreachableTimeout, KvClientMetrics metrics, ILogger logger, bool atMostOnce = false)
{
    private static readonly TimeSpan MinimumRest = TimeSpan.FromMilliseconds(50);

    private readonly Stopwatch clock = Stopwatch.StartNew();
    private MemberEndpoint? failedLast;
    private Exception? lastFailure;
    private HttpStatusCode lastStatus;
    private int tries;
    private bool connected;

    /// <summary>The operation's name, for metrics and logs.</summary>
    public string Operation => operation;

    /// <summary>Whether a try whose outcome is unknown must not be repeated (the write could be applied twice).</summary>
    public bool AtMostOnce => atMostOnce;

    /// <summary>How many tries have started.</summary>
    public int Tries => tries;

    /// <summary>Time left before the operation gives up.</summary>
    public TimeSpan Remaining => Limit - clock.Elapsed;

    // The unreachable timeout only shortens the operation, and only until a member accepted.
    private TimeSpan Limit => !connected && unreachableTimeout is { } unreachable && unreachable < timeout ? unreachable : timeout;

    /// <summary>A member accepted a connection (it answered, or failed after the request was on its way): the operation may take its whole timeout.</summary>
    public void Connected() => connected = true;

    /// <summary>Starts a try on <paramref name="endpoint"/>.</summary>
    public void Starting(MemberEndpoint endpoint)
    {
        if (tries++ > 0)
            metrics.Retry(operation);
        if (failedLast is not null && !ReferenceEquals(failedLast, endpoint))
            metrics.Failover(operation);
    }

    /// <summary>The try on <paramref name="endpoint"/> got no answer (or broke off): leave that member for a while.</summary>
    public void Unreachable(MemberEndpoint endpoint, Exception failure, TimeSpan rest)
    {
        endpoint.Failed(rest, retryAfter: null);
        failedLast = endpoint;
        lastFailure = failure;
        lastStatus = 0;
        KvClientLog.MemberFailed(logger, endpoint.BaseUri, operation, Reason(failure));
    }

    /// <summary>The member answered <paramref name="problem"/> (503, 429): leave it for <paramref name="retryAfter"/>.</summary>
    public void Busy(MemberEndpoint endpoint, ProblemAnswer problem, TimeSpan retryAfter)
    {
        // "Retry-After: 0" still rests the member a moment, so a busy cluster is not hammered.
        endpoint.Failed(TimeSpan.Zero, retryAfter < MinimumRest ? MinimumRest : retryAfter);
        failedLast = endpoint;
        lastStatus = problem.Status;
        lastFailure = problem.ToException(null);
        KvClientLog.MemberBusy(logger, endpoint.BaseUri, (int)problem.Status, operation, retryAfter.TotalMilliseconds);
    }

    /// <summary>The exception that ends the operation: no member could serve it in time.</summary>
    public KvUnavailableException GiveUp()
    {
        var reason = lastFailure is null ? "no member was tried" : Reason(lastFailure);
        KvClientLog.GaveUp(logger, operation, tries, clock.Elapsed.TotalSeconds, reason);
        var within = Limit < timeout ? $"within {Limit.TotalSeconds:0.#} s, as none accepted a connection" : $"within {timeout.TotalSeconds:0.#} s";
        var outcome = idempotencyKey is null ? "" : $" The write's outcome is unknown: retry it with Idempotency-Key '{idempotencyKey}' to apply it at most once.";
        return new KvUnavailableException(
            $"No kvdb member could serve {operation} {within} ({tries} tries); last: {reason}.{outcome}",
            idempotencyKey,
            lastStatus,
            lastFailure);
    }

    /// <summary>
    /// The exception that ends an at-most-once operation whose try on <paramref name="endpoint"/>
    /// may have been applied: trying again could apply it twice.
    /// </summary>
    public KvUnavailableException InDoubt(MemberEndpoint endpoint, Exception failure, HttpStatusCode status)
    {
        KvClientLog.MemberFailed(logger, endpoint.BaseUri, operation, Reason(failure));
        return new KvUnavailableException(
            $"{endpoint.BaseUri} failed {operation} after it was sent ({Reason(failure)}): it may or may not have been applied, and is not retried, since a retry could apply it twice.",
            null,
            status,
            failure);
    }

    private static string Reason(Exception failure) => failure switch
    {
        TimeoutException => failure.Message,
        HttpRequestException { InnerException: { } inner } http => $"{http.Message} ({inner.Message})",
        _ => failure.Message,
    };
}
