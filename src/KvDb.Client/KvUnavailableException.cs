// No member could serve a request within KvClientOptions.OperationTimeout: every endpoint
// refused connections, timed out or answered 503 (or 429) on each try.
// Invariant: for a write, the outcome is unknown (it may have been applied); retrying with
// IdempotencyKey applies it at most once.
using System.Net;

namespace KvDb.Client;

/// <summary>No member could serve the request in time; for a write, whether it was applied is unknown.</summary>
public sealed class KvUnavailableException : KvException
{
    /// <summary>Makes the exception.</summary>
    /// <param name="detail">What was tried and what happened.</param>
    /// <param name="idempotencyKey">The idempotency key of the write that failed; null for reads.</param>
    /// <param name="lastStatus">The status of the last answer, when the last try got one (503, 429); else 0.</param>
    /// <param name="innerException">The last failure.</param>
    public KvUnavailableException(string detail, string? idempotencyKey, HttpStatusCode lastStatus, Exception? innerException)
        : base(lastStatus, "Cluster unavailable", detail, innerException)
    {
        IdempotencyKey = idempotencyKey;
    }

    /// <summary>
    /// The <c>Idempotency-Key</c> the failed write carried; null for reads. Put it in
    /// <see cref="KvWriteOptions.IdempotencyKey"/> to retry the write: it is applied at most once in all.
    /// </summary>
    public string? IdempotencyKey { get; }
}
