// Waiting in an ownership queue (locks and elections): kvdb holds each request until the
// contender owns the queue or a timeout passes (at most 5 minutes), so the client asks in rounds.
// Invariants:
//  - The contender's lease is the client's own, granted first and kept alive while it waits; its
//    key in the queue is derived from the lease, so a request retried after a lost connection
//    finds the same key and keeps its place.
//  - Each try may take the round's wait plus RequestTimeout, and the round may keep trying for
//    its wait plus OperationTimeout.
//  - A 409 ends a round with nothing left queued; a lost lease ends the wait with
//    KvLeaseNotFoundException.
using System.Diagnostics;
using System.Net;
using System.Text.Json.Serialization.Metadata;

namespace KvDb.Client;

public sealed partial class KvClient
{
    /// <summary>The longest kvdb holds a lock or campaign request.</summary>
    private static readonly TimeSpan MaxQueueWait = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Sends the queue request <paramref name="build"/> makes (given the member and the round's
    /// <c>timeout=</c> text) until kvdb answers 200 (the answer, as <paramref name="answerType"/>) or <paramref name="timeout"/>
    /// passes (null); with no timeout, until <paramref name="token"/> is cancelled.
    /// </summary>
    private async ValueTask<T?> WaitInQueueAsync<T>(string operation, Func<Uri, string, HttpRequestMessage> build, JsonTypeInfo<T> answerType, KvLease lease, TimeSpan? timeout, CancellationToken token)
        where T : class
    {
        var started = Stopwatch.GetTimestamp();
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(token, lease.Lost);
        while (true)
        {
            var wait = MaxQueueWait;
            if (timeout is { } limit)
            {
                var left = limit - Stopwatch.GetElapsedTime(started);
                if (left <= TimeSpan.Zero)
                    return null;
                wait = left < wait ? left : wait;
            }

            var waitText = LeaseTtl.FormatWait(wait);
            T? answer;
            try
            {
                answer = await pipeline.SendAsync(
                    pipeline.Begin(operation, null, wait + pipeline.OperationTimeout),
                    baseUri => build(baseUri, waitText),
                    async (response, attemptToken) =>
                    {
                        switch (response.StatusCode)
                        {
                            case HttpStatusCode.OK:
                                return await ReadContractAsync(response, answerType, attemptToken).ConfigureAwait(false);
                            case HttpStatusCode.Conflict:
                                return null;
                            default:
                                throw await LeaseProblemAsync(response, lease.Id, attemptToken).ConfigureAwait(false);
                        }
                    },
                    waiting.Token,
                    wait + pipeline.RequestTimeout).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (lease.Lost.IsCancellationRequested && !token.IsCancellationRequested)
            {
                throw LeaseLostWhileWaiting(lease);
            }

            if (answer is not null)
                return answer;
            if (lease.Lost.IsCancellationRequested)
                throw LeaseLostWhileWaiting(lease);
        }
    }

    private static KvLeaseNotFoundException LeaseLostWhileWaiting(KvLease lease)
        => new(lease.Id, "Lease lost", $"Lease {lease.Id} was lost while waiting: {lease.LossReason}");

    /// <summary>Throws unless <paramref name="name"/> is a lock or election name kvdb accepts.</summary>
    private static void ValidateQueueName(string name, string parameter)
    {
        ArgumentException.ThrowIfNullOrEmpty(name, parameter);
        if (name.Length > 256 || name.Contains('/'))
            throw new ArgumentException("A lock or election name is 1 to 256 characters without '/'.", parameter);
    }
}
