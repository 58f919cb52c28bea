// Sends one logical operation to the cluster: picks a member (EndpointRotation), sends, and on
// a failure that another member or a later try may not have (no connection, a timeout, a
// connection lost while reading, 503, 429) tries again on the next member, honouring
// Retry-After, until OperationTimeout. Anything else the member answers is the operation's
// answer, handed to the caller's reader.
// Invariants:
//  - Every request is built afresh for each try, so a write carries the same Idempotency-Key on
//    each (the caller puts it in) and is applied at most once across all tries.
//  - Each try has its own timeout (RequestTimeout, or what an operation that waits on the member
//    asks for, such as a lock), which also bounds reading its body; the
//    caller's token cancels at once and is never turned into a retry.
//  - A response is disposed once read, except the one OpenAsync hands over (a stream).
//  - An at-most-once operation (OperationAttempts.AtMostOnce) is tried again only after a
//    failure that applied nothing: no connection could be made, or a 503/429 that does not say
//    outcomeUnknown. A timeout, a connection lost after sending, or an answer lost while being
//    read ends it with OperationAttempts.InDoubt.
//  - A try that got past making its connection (an answer, or a failure after sending) marks
//    the operation connected, which lifts KvClientOptions.UnreachableTimeout for it; a refused
//    connection or a connect timeout does not.
//  - SendAsync and Send run under the operation's client span when the application listens to
//    KvDb.Client (KvClientTracing); each request carries that span as its traceparent.
//  - Every asynchronous request goes over HTTP/2 when KvClientOptions.Http2 (read once, here):
//    with prior knowledge on http://, where nothing could negotiate it, and by ALPN on https://.
//    Concurrent requests then share a member's connection: measured, that took a member's
//    linearizable reads from 26k to 44k per second (docs/benchmarks.md).
//  - The synchronous Send does the same with blocking calls (HttpClient.Send, HTTP/1.1), for
//    callers that cannot await (configuration providers); it never blocks on a task.
using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;

namespace KvDb.Client;

/// <summary>A request of one operation, built for one member's base URL.</summary>
internal delegate HttpRequestMessage RequestBuilder(Uri baseUri);

/// <summary>Sends operations to the cluster with failover and retries.</summary>
internal sealed class RequestPipeline(HttpClient http, EndpointRotation endpoints, KvClientOptions options, KvClientMetrics metrics, ILogger logger)
{
    private static readonly TimeSpan DefaultRetryAfter = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(30);
    private readonly bool http2 = options.Http2;

    /// <summary>The members.</summary>
    public EndpointRotation Endpoints => endpoints;

    /// <summary>Starts the bookkeeping of one operation.</summary>
    public OperationAttempts Begin(string operation, string? idempotencyKey = null)
        => new(operation, idempotencyKey, options.OperationTimeout, options.UnreachableTimeout, metrics, logger);

    /// <summary>Starts the bookkeeping of one operation that may keep trying for <paramref name="operationTimeout"/> instead of <see cref="KvClientOptions.OperationTimeout"/>.</summary>
    /// <param name="operation">The operation's name.</param>
    /// <param name="idempotencyKey">The write's idempotency key; null for none.</param>
    /// <param name="operationTimeout">How long it may keep trying.</param>
    /// <param name="failFast">False to keep trying for all of <paramref name="operationTimeout"/> even while no member accepts a connection (a lease keep-alive bounded by the TTL left, a stream resuming).</param>
    public OperationAttempts Begin(string operation, string? idempotencyKey, TimeSpan operationTimeout, bool failFast = true)
        => new(operation, idempotencyKey, operationTimeout, failFast ? options.UnreachableTimeout : null, metrics, logger);

    /// <summary>Starts the bookkeeping of reopening a stream that lost its member: it keeps trying for the whole <see cref="KvClientOptions.OperationTimeout"/>, as the cluster was there a moment ago.</summary>
    public OperationAttempts BeginResume(string operation)
        => Begin(operation, null, options.OperationTimeout, failFast: false);

    /// <summary>Starts the bookkeeping of a write that must not be sent again once it may have been applied.</summary>
    public OperationAttempts BeginAtMostOnce(string operation)
        => new(operation, null, options.OperationTimeout, options.UnreachableTimeout, metrics, logger, atMostOnce: true);

    /// <summary>How long an operation keeps trying unless it asks for longer (<see cref="KvClientOptions.OperationTimeout"/>).</summary>
    public TimeSpan OperationTimeout => options.OperationTimeout;

    /// <summary>The time one try may take unless an operation asks for more (<see cref="KvClientOptions.RequestTimeout"/>).</summary>
    public TimeSpan RequestTimeout => options.RequestTimeout;

    /// <summary>Sends until a member answers, then returns what <paramref name="read"/> makes of the answer.</summary>
    /// <exception cref="KvUnavailableException">No member answered in time.</exception>
    /// <param name="attempts">The operation's bookkeeping.</param>
    /// <param name="build">Builds the request for one member.</param>
    /// <param name="read">Reads the answer.</param>
    /// <param name="token">Cancels the operation.</param>
    /// <param name="requestTimeout">How long one try may take; null for <see cref="KvClientOptions.RequestTimeout"/> (a lock request that waits on the member takes longer).</param>
    public ValueTask<T> SendAsync<T>(OperationAttempts attempts, RequestBuilder build, Func<HttpResponseMessage, CancellationToken, ValueTask<T>> read, CancellationToken token, TimeSpan? requestTimeout = null)
        => KvClientTracing.IsOn ? SendTracedAsync(attempts, build, read, requestTimeout, token) : SendUntracedAsync(attempts, build, read, requestTimeout, token);

    private async ValueTask<T> SendTracedAsync<T>(OperationAttempts attempts, RequestBuilder build, Func<HttpResponseMessage, CancellationToken, ValueTask<T>> read, TimeSpan? requestTimeout, CancellationToken token)
    {
        using var activity = KvClientTracing.Start(attempts.Operation);
        try
        {
            return await SendUntracedAsync(attempts, build, read, requestTimeout, token).ConfigureAwait(false);
        }
        catch (Exception e) when (activity is not null)
        {
            KvClientTracing.Failed(activity, e);
            throw;
        }
    }

    private async ValueTask<T> SendUntracedAsync<T>(OperationAttempts attempts, RequestBuilder build, Func<HttpResponseMessage, CancellationToken, ValueTask<T>> read, TimeSpan? requestTimeout, CancellationToken token)
    {
        while (true)
        {
            var (response, endpoint, timeout) = await OpenAsync(attempts, build, token, requestTimeout).ConfigureAwait(false);
            if (KvClientTracing.IsOn && Activity.Current is { } traced && KvClientTracing.Owns(traced))
                KvClientTracing.Tried(traced, attempts, endpoint);
            try
            {
                using (response)
                    return await read(response, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransportFailure(e, token))
            {
                if (attempts.AtMostOnce)
                {
                    endpoint.Failed(options.RetryDelay, retryAfter: null);
                    throw attempts.InDoubt(endpoint, AsFailure(e, endpoint), response.StatusCode);
                }

                attempts.Unreachable(endpoint, AsFailure(e, endpoint), options.RetryDelay);
            }
            finally
            {
                timeout.Dispose();
            }
        }
    }

    /// <summary>
    /// Sends until a member answers anything but 503 or 429, and hands over that answer (the
    /// caller disposes it, and the timeout source, whose token bounds reading the answer's headers and body).
    /// </summary>
    public async ValueTask<(HttpResponseMessage Response, MemberEndpoint Endpoint, CancellationTokenSource Timeout)> OpenAsync(OperationAttempts attempts, RequestBuilder build, CancellationToken token, TimeSpan? requestTimeout = null)
    {
        while (true)
        {
            var endpoint = await ChooseAsync(attempts, token).ConfigureAwait(false);
            attempts.Starting(endpoint);
            var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(requestTimeout ?? options.RequestTimeout);
            var started = Stopwatch.GetTimestamp();
            HttpResponseMessage response;
            try
            {
                using var request = build(endpoint.BaseUri);
                ChooseVersion(request);
                KvClientTracing.Inject(request);
                response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransportFailure(e, token))
            {
                var notConnected = NotConnected(e, timeout.Token);
                timeout.Dispose();
                metrics.Request(attempts.Operation, 0, Stopwatch.GetElapsedTime(started));
                if (!notConnected)
                    attempts.Connected();
                if (attempts.AtMostOnce && !notConnected)
                {
                    endpoint.Failed(options.RetryDelay, retryAfter: null);
                    throw attempts.InDoubt(endpoint, AsFailure(e, endpoint), 0);
                }

                attempts.Unreachable(endpoint, AsFailure(e, endpoint), options.RetryDelay);
                continue;
            }
            catch
            {
                timeout.Dispose();
                throw;
            }

            metrics.Request(attempts.Operation, (int)response.StatusCode, Stopwatch.GetElapsedTime(started));
            attempts.Connected();
            if (!IsBusy(response.StatusCode))
            {
                endpoint.Succeeded();
                return (response, endpoint, timeout);
            }

            using (response)
            using (timeout)
            {
                ProblemAnswer problem;
                try
                {
                    problem = await ProblemAnswer.ReadAsync(response, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (IsTransportFailure(e, token))
                {
                    problem = new ProblemAnswer(response.StatusCode, response.ReasonPhrase, null, null, null, false);
                }

                if (attempts.AtMostOnce && problem.OutcomeUnknown)
                {
                    endpoint.Failed(TimeSpan.Zero, RetryAfter(response));
                    throw attempts.InDoubt(endpoint, problem.ToException(null), problem.Status);
                }

                attempts.Busy(endpoint, problem, RetryAfter(response));
            }
        }
    }

    private void ChooseVersion(HttpRequestMessage request)
    {
        if (!http2)
            return;
        request.Version = HttpVersion.Version20;
        request.VersionPolicy = request.RequestUri?.Scheme == Uri.UriSchemeHttps ? HttpVersionPolicy.RequestVersionOrLower : HttpVersionPolicy.RequestVersionExact;
    }

    /// <summary>As <see cref="SendAsync"/>, blocking: for callers that cannot await. Uses HTTP/1.1.</summary>
    public T Send<T>(OperationAttempts attempts, RequestBuilder build, Func<HttpResponseMessage, CancellationToken, T> read, CancellationToken token)
    {
        if (!KvClientTracing.IsOn)
            return SendUntraced(attempts, build, read, token);
        using var activity = KvClientTracing.Start(attempts.Operation);
        try
        {
            return SendUntraced(attempts, build, read, token);
        }
        catch (Exception e) when (activity is not null)
        {
            KvClientTracing.Failed(activity, e);
            throw;
        }
    }

    private T SendUntraced<T>(OperationAttempts attempts, RequestBuilder build, Func<HttpResponseMessage, CancellationToken, T> read, CancellationToken token)
    {
        while (true)
        {
            var endpoint = Choose(attempts, token);
            attempts.Starting(endpoint);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(options.RequestTimeout);
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var request = build(endpoint.BaseUri);
                request.Version = HttpVersion.Version11;
                request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
                KvClientTracing.Inject(request);
                using var response = http.Send(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                metrics.Request(attempts.Operation, (int)response.StatusCode, Stopwatch.GetElapsedTime(started));
                attempts.Connected();
                if (IsBusy(response.StatusCode))
                {
                    attempts.Busy(endpoint, ProblemAnswer.Read(response, timeout.Token), RetryAfter(response));
                    continue;
                }

                endpoint.Succeeded();
                return read(response, timeout.Token);
            }
            catch (Exception e) when (IsTransportFailure(e, token))
            {
                metrics.Request(attempts.Operation, 0, Stopwatch.GetElapsedTime(started));
                if (!NotConnected(e, timeout.Token))
                    attempts.Connected();
                attempts.Unreachable(endpoint, AsFailure(e, endpoint), options.RetryDelay);
            }
        }
    }

    private async ValueTask<MemberEndpoint> ChooseAsync(OperationAttempts attempts, CancellationToken token)
    {
        while (true)
        {
            token.ThrowIfCancellationRequested();
            if (attempts.Remaining <= TimeSpan.Zero)
                throw attempts.GiveUp();
            if (endpoints.TryChoose(out var wait) is { } endpoint)
                return endpoint;
            await Task.Delay(Min(wait, attempts.Remaining), token).ConfigureAwait(false);
        }
    }

    private MemberEndpoint Choose(OperationAttempts attempts, CancellationToken token)
    {
        while (true)
        {
            token.ThrowIfCancellationRequested();
            if (attempts.Remaining <= TimeSpan.Zero)
                throw attempts.GiveUp();
            if (endpoints.TryChoose(out var wait) is { } endpoint)
                return endpoint;
            token.WaitHandle.WaitOne(Min(wait, attempts.Remaining));
        }
    }

    /// <summary>503 (no leader, no quorum, a full queue) and 429 (too many logins) ask for a later try, maybe elsewhere.</summary>
    private static bool IsBusy(HttpStatusCode status) => status is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests;

    /// <summary>A failure of the connection or a try's own timeout, not the caller's cancellation nor an answer.</summary>
    public static bool IsTransportFailure(Exception e, CancellationToken token) => e switch
    {
        _ when token.IsCancellationRequested => false,
        HttpRequestException => true,
        IOException => true,
        OperationCanceledException => true,
        _ => false,
    };

    /// <summary>Whether <paramref name="e"/> happened before any of the request left: the connection could not be made.</summary>
    public static bool NothingSent(Exception e)
        => e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.ProxyTunnelError };

    /// <summary>
    /// Whether <paramref name="e"/> says no connection was made: refused, unresolvable, or not made
    /// within the connect timeout (which SocketsHttpHandler reports as a cancellation with a
    /// TimeoutException inside, while <paramref name="tryToken"/>, the try's own timeout, has not fired).
    /// </summary>
    public static bool NotConnected(Exception e, CancellationToken tryToken)
        => NothingSent(e) || (e is OperationCanceledException { InnerException: TimeoutException } && !tryToken.IsCancellationRequested);

    /// <summary>What a transport failure was, with a timeout named as such.</summary>
    public static Exception AsFailure(Exception e, MemberEndpoint endpoint)
        => e is OperationCanceledException ? new TimeoutException($"{endpoint.BaseUri} did not answer in time", e) : e;

    private static TimeSpan RetryAfter(HttpResponseMessage response)
    {
        var wait = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow,
            _ => DefaultRetryAfter,
        };
        return wait < TimeSpan.Zero ? TimeSpan.Zero : Min(wait, MaxRetryAfter);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
