// The client of a kvdb cluster: keys, ranges, watches, members and status over kvdb's REST API;
// transactions, leases, locks, elections, lists and S2 streams are in the partial files KvClient.*.cs.
// Invariants:
//  - One HttpClient (one SocketsHttpHandler, pooled connections to every member) per KvClient,
//    for its whole life; every operation goes through the RequestPipeline, so each spreads over
//    the members, skips members that are down or busy, and retries until OperationTimeout.
//  - Every write carries an Idempotency-Key (a new GUID per call unless the caller gives one),
//    the same on each retry, so a write the client retries is applied at most once. S2 appends
//    (KvClient.S2.cs) cannot carry one: without match_seq_num they are never retried once they
//    may have been applied.
//  - Errors are exceptions: KvConditionFailedException (412), KvCompactedException (410),
//    KvUnavailableException (no member could serve in time), KvException (any other problem);
//    a missing key is not an error (GetAsync answers null, DeleteAsync null).
//  - Responses are read as streams from the answer's headers on; nothing blocks on a task.
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using KvDb.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvDb.Client;

/// <summary>A client of a kvdb cluster.</summary>
/// <remarks>
/// Make one per application and share it: it is thread-safe and pools its connections. Every
/// operation may be sent to any member; one that is down (connection refused, timeout) or that
/// answers <c>503</c> is left for the next, honouring <c>Retry-After</c>, until
/// <see cref="KvClientOptions.OperationTimeout"/>, after which the operation fails with
/// <see cref="KvUnavailableException"/>.
/// </remarks>
public sealed partial class KvClient : IAsyncDisposable, IDisposable
{
    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> the client counts on.</summary>
    public const string MeterName = KvClientMetrics.MeterName;

    /// <summary>The most keys one range page may ask for.</summary>
    public const int MaxPageSize = 1000;

    private static readonly MediaTypeHeaderValue OctetStream = new("application/octet-stream");

    private readonly HttpClient http;
    private readonly RequestPipeline pipeline;
    private readonly KvClientMetrics metrics;
    private readonly ILogger logger;
    private readonly TimeSpan requestTimeout;
    private int disposed;

    /// <summary>Makes a client of the cluster <paramref name="options"/> name.</summary>
    /// <exception cref="ArgumentException">The options are invalid: no endpoint, a relative or non-http endpoint, a timeout that is not positive, both a token and a user, or a certificate file that cannot be read.</exception>
    public KvClient(KvClientOptions options)
        : this(options, null, null)
    {
    }

    /// <summary>Makes a client, with the logger and meter factories of a service provider when the options name none.</summary>
    internal KvClient(KvClientOptions options, ILoggerFactory? loggers, IMeterFactory? meters)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        Endpoints = [.. options.Endpoints.Select(static uri => uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/"))];
        requestTimeout = options.RequestTimeout;
        logger = (options.LoggerFactory ?? loggers ?? NullLoggerFactory.Instance).CreateLogger<KvClient>();
        metrics = new KvClientMetrics(options.MeterFactory ?? meters);
        http = KvHttpTransport.Create(options);
        pipeline = new RequestPipeline(http, new EndpointRotation(Endpoints), options, metrics, logger);
    }

    /// <summary>The members' client URLs this client talks to.</summary>
    public IReadOnlyList<Uri> Endpoints { get; }

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>.</summary>
    /// <param name="key">The key: any non-empty text (up to 4 KiB of UTF-8).</param>
    /// <param name="value">The bytes to store.</param>
    /// <param name="options">A condition, or the idempotency key of a retried write; null for none.</param>
    /// <param name="token">Cancels the write (its outcome is then unknown).</param>
    /// <returns>The new revision of the key.</returns>
    /// <exception cref="KvConditionFailedException">The condition did not hold; nothing was written.</exception>
    /// <exception cref="KvLeaseNotFoundException"><see cref="KvWriteOptions.Lease"/> names a lease that does not exist; nothing was written.</exception>
    /// <exception cref="KvUnavailableException">No member could take the write in time; it may or may not have been applied.</exception>
    /// <exception cref="KvException">kvdb refused the write (e.g. 413 too large, 507 disk full, 403).</exception>
    /// <exception cref="ArgumentException">Both <see cref="KvWriteOptions.Lease"/> and <see cref="KvWriteOptions.Ttl"/> are set, or one is out of range.</exception>
    public async ValueTask<long> PutAsync(string key, byte[] value, KvWriteOptions? options = null, CancellationToken token = default)
    {
        KeyPaths.Validate(key);
        ArgumentNullException.ThrowIfNull(value);
        options?.LeaseQuery();
        ThrowIfDisposed();
        return await WriteAsync(HttpMethod.Put, key, value, options, token).ConfigureAwait(false)
            ?? throw new KvException(HttpStatusCode.NoContent, "No revision", "The member acknowledged the put without X-Kvdb-Revision.");
    }

    /// <summary>Stores <paramref name="value"/>, as UTF-8, under <paramref name="key"/>.</summary>
    /// <inheritdoc cref="PutAsync(string, byte[], KvWriteOptions?, CancellationToken)"/>
    public ValueTask<long> PutAsync(string key, string value, KvWriteOptions? options = null, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        return PutAsync(key, Encoding.UTF8.GetBytes(value), options, token);
    }

    /// <summary>Removes <paramref name="key"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="options">A condition (<see cref="WriteCondition.RevisionIs"/>, <see cref="WriteCondition.KeyExists"/>), or the idempotency key of a retried delete.</param>
    /// <param name="token">Cancels the delete (its outcome is then unknown).</param>
    /// <returns>The revision of the deletion, or null when the key did not exist (a caller that may not read the key always gets a revision: kvdb does not tell it whether the key existed).</returns>
    /// <exception cref="KvConditionFailedException">The condition did not hold; nothing was deleted.</exception>
    /// <exception cref="KvUnavailableException">No member could take the delete in time; it may or may not have been applied.</exception>
    /// <exception cref="KvException">kvdb refused the delete.</exception>
    /// <exception cref="ArgumentException">The options name a lease or a TTL, which only puts take.</exception>
    public ValueTask<long?> DeleteAsync(string key, KvWriteOptions? options = null, CancellationToken token = default)
    {
        KeyPaths.Validate(key);
        if (options is { Lease: not null } or { Ttl: not null })
            throw new ArgumentException("A delete takes no lease or TTL.", nameof(options));
        ThrowIfDisposed();
        return WriteAsync(HttpMethod.Delete, key, null, options, token);
    }

    private ValueTask<long?> WriteAsync(HttpMethod method, string key, byte[]? value, KvWriteOptions? options, CancellationToken token)
    {
        var idempotencyKey = options?.IdempotencyKey ?? Guid.NewGuid().ToString("N");
        return pipeline.SendAsync(
            pipeline.Begin(method == HttpMethod.Put ? "put" : "delete", idempotencyKey),
            WriteRequest(method, key, value, idempotencyKey, options),
            async (response, attemptToken) => WriteAnswered(response, value, out var revision)
                ? revision
                : throw WriteRefused(response, await ProblemAnswer.ReadAsync(response, attemptToken).ConfigureAwait(false), key, options),
            token);
    }

    // The request of a put (value not null) or delete; the same Idempotency-Key on every attempt.
    private static RequestBuilder WriteRequest(HttpMethod method, string key, byte[]? value, string idempotencyKey, KvWriteOptions? options)
    {
        var condition = options?.Condition ?? WriteCondition.None;
        var leaseQuery = options?.LeaseQuery();
        return baseUri =>
        {
            var request = new HttpRequestMessage(method, KeyPaths.KeyUri(baseUri, key, leaseQuery));
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
            condition.ApplyTo(request);
            if (value is not null)
                request.Content = new ByteArrayContent(value) { Headers = { ContentType = OctetStream } };
            return request;
        };
    }

    // True when the write is done: its revision, or null for a delete of a missing key.
    private static bool WriteAnswered(HttpResponseMessage response, byte[]? value, out long? revision)
    {
        revision = response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.OK ? RevisionOf(response) : null;
        return response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.OK
            || (response.StatusCode is HttpStatusCode.NotFound && value is null);
    }

    private static Exception WriteRefused(HttpResponseMessage response, ProblemAnswer problem, string key, KvWriteOptions? options)
        => response.StatusCode is HttpStatusCode.NotFound && options?.Lease is { } lease
            ? new KvLeaseNotFoundException(lease, problem.Title, problem.Detail)
            : problem.ToException(key);

    /// <summary>Reads <paramref name="key"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="consistency">How fresh the read must be (linearizable by default).</param>
    /// <param name="token">Cancels the read.</param>
    /// <returns>The entry, or null when the key does not exist.</returns>
    /// <exception cref="KvUnavailableException">No member could serve the read in time.</exception>
    /// <exception cref="KvException">kvdb refused the read (e.g. 403).</exception>
    public ValueTask<KvEntry?> GetAsync(string key, ReadConsistency consistency = ReadConsistency.Linearizable, CancellationToken token = default)
    {
        KeyPaths.Validate(key);
        ThrowIfDisposed();
        var query = ConsistencyQuery(consistency);
        return pipeline.SendAsync(
            pipeline.Begin("get"),
            baseUri => new HttpRequestMessage(HttpMethod.Get, KeyPaths.KeyUri(baseUri, key, query)),
            (response, attemptToken) => ReadEntryAsync(response, key, attemptToken),
            token);
    }

    // A read of one key: its entry, null for 404, any other answer its problem as an exception.
    private static async ValueTask<KvEntry?> ReadEntryAsync(HttpResponseMessage response, string key, CancellationToken token)
    {
        if (response.StatusCode is HttpStatusCode.NotFound)
            return null;
        if (response.StatusCode is not HttpStatusCode.OK)
            throw (await ProblemAnswer.ReadAsync(response, token).ConfigureAwait(false)).ToException(key);
        var value = await response.Content.ReadAsByteArrayAsync(token).ConfigureAwait(false);
        return new KvEntry(key, value, RevisionOf(response) ?? 0) { IsTyped = response.Content.Headers.ContentType?.MediaType == "application/json" };
    }

    /// <summary>Every key starting with <paramref name="prefix"/>, in unsigned byte order, read a page at a time as the enumeration goes on.</summary>
    /// <param name="prefix">The prefix; empty for every key.</param>
    /// <param name="consistency">How fresh each page must be.</param>
    /// <param name="pageSize">Keys per page, 1 to <see cref="MaxPageSize"/>.</param>
    /// <param name="token">Cancels the enumeration.</param>
    /// <remarks>
    /// Each page is a point-in-time view, but pages are read one after another: a key that exists
    /// throughout is listed exactly once, while keys written between pages may or may not be.
    /// To follow the keys afterwards without a gap, use <see cref="ReadRangePageAsync"/> and watch
    /// after the first page's <see cref="KvRangePage.Revision"/>.
    /// </remarks>
    /// <exception cref="KvUnavailableException">No member could serve a page in time.</exception>
    /// <exception cref="KvException">kvdb refused the range (e.g. 403 when the user may not read all of it).</exception>
    public IAsyncEnumerable<KvEntry> RangeAsync(string prefix, ReadConsistency consistency = ReadConsistency.Linearizable, int pageSize = 100, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSize, MaxPageSize);
        ThrowIfDisposed();
        return RangePagesAsync(prefix, consistency, pageSize, token);
    }

    private async IAsyncEnumerable<KvEntry> RangePagesAsync(string prefix, ReadConsistency consistency, int pageSize, [EnumeratorCancellation] CancellationToken token)
    {
        string? continuation = null;
        do
        {
            var page = await ReadRangePageAsync(prefix, continuation, pageSize, consistency, token).ConfigureAwait(false);
            foreach (var entry in page.Items)
                yield return entry;
            continuation = page.Continuation;
        }
        while (continuation is not null);
    }

    /// <summary>Reads one page of the keys starting with <paramref name="prefix"/>.</summary>
    /// <param name="prefix">The prefix; empty for every key.</param>
    /// <param name="continuation">The previous page's <see cref="KvRangePage.Continuation"/>; null for the first page.</param>
    /// <param name="limit">The most keys to return, 1 to <see cref="MaxPageSize"/>.</param>
    /// <param name="consistency">How fresh the page must be.</param>
    /// <param name="token">Cancels the read.</param>
    /// <returns>The page, with the revision it was read at.</returns>
    /// <exception cref="KvUnavailableException">No member could serve the page in time.</exception>
    /// <exception cref="KvException">kvdb refused the range.</exception>
    public ValueTask<KvRangePage> ReadRangePageAsync(string prefix, string? continuation = null, int limit = 100, ReadConsistency consistency = ReadConsistency.Linearizable, CancellationToken token = default)
    {
        var path = RangePath(prefix, continuation, limit, consistency);
        return SendRangePageAsync(path, token);
    }

    /// <summary>
    /// Reads one page of the keys starting with <paramref name="prefix"/>, blocking the calling
    /// thread: for callers that cannot await, such as a configuration provider's first load.
    /// It speaks HTTP/1.1 and blocks on the socket, never on a task. Prefer <see cref="ReadRangePageAsync"/>.
    /// </summary>
    /// <inheritdoc cref="ReadRangePageAsync"/>
    public KvRangePage ReadRangePage(string prefix, string? continuation = null, int limit = 100, ReadConsistency consistency = ReadConsistency.Linearizable, CancellationToken token = default)
    {
        var path = RangePath(prefix, continuation, limit, consistency);
        ThrowIfDisposed();
        return pipeline.Send(
            pipeline.Begin("range"),
            baseUri => new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, path)),
            (response, attemptToken) =>
            {
                if (response.StatusCode is not HttpStatusCode.OK)
                    throw ProblemAnswer.Read(response, attemptToken).ToException(null);
                using var stream = response.Content.ReadAsStream(attemptToken);
                using var body = new MemoryStream();
                stream.CopyTo(body);
                return WireJson.ToRangePage(ReadContract(response, body.GetBuffer().AsSpan(0, (int)body.Length), KvDbJsonContext.Default.RangePageJson));
            },
            token);
    }

    /// <summary>
    /// Reads one page of the keys under <paramref name="prefix"/> that contain
    /// <paramref name="contains"/> (case-sensitive), searched on the server: the page examines at
    /// most <paramref name="scanLimit"/> keys, so it may hold fewer than <paramref name="limit"/>
    /// matches (even none) and still have a <see cref="KvRangePage.Continuation"/>; follow it to
    /// search further. Every match is found exactly once across the pages.
    /// </summary>
    /// <param name="prefix">The prefix; empty for every key.</param>
    /// <param name="contains">The text the keys must contain; not empty.</param>
    /// <param name="continuation">The previous page's continuation; null for the first page.</param>
    /// <param name="limit">The most matches to return, 1 to <see cref="MaxPageSize"/>.</param>
    /// <param name="scanLimit">The most keys the page examines, 1 to 100,000.</param>
    /// <param name="consistency">How fresh the page must be.</param>
    /// <param name="token">Cancels the read.</param>
    /// <returns>The matching entries, with the revision the page was read at.</returns>
    /// <exception cref="KvUnavailableException">No member could serve the page in time.</exception>
    /// <exception cref="KvException">kvdb refused the search (e.g. 403 outside the user's prefixes).</exception>
    public ValueTask<KvRangePage> SearchKeysPageAsync(string prefix, string contains, string? continuation = null, int limit = 100, int scanLimit = 10_000, ReadConsistency consistency = ReadConsistency.Linearizable, CancellationToken token = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(contains);
        ArgumentOutOfRangeException.ThrowIfLessThan(scanLimit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(scanLimit, 100_000);
        var path = RangePath(prefix, continuation, limit, consistency)
            + "&contains=" + KeyPaths.Query(contains) + "&scanLimit=" + scanLimit.ToString(CultureInfo.InvariantCulture);
        return SendRangePageAsync(path, token);
    }

    private ValueTask<KvRangePage> SendRangePageAsync(string path, CancellationToken token)
    {
        ThrowIfDisposed();
        return pipeline.SendAsync(
            pipeline.Begin("range"),
            baseUri => new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, path)),
            async (response, attemptToken) =>
            {
                return WireJson.ToRangePage(await ReadOkContractAsync(response, KvDbJsonContext.Default.RangePageJson, attemptToken).ConfigureAwait(false));
            },
            token);
    }

    private static string RangePath(string prefix, string? continuation, int limit, ReadConsistency consistency)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxPageSize);
        var query = new StringBuilder("v1/kv?prefix=").Append(KeyPaths.Query(prefix))
            .Append("&limit=").Append(limit.ToString(CultureInfo.InvariantCulture));
        if (continuation is not null)
            query.Append("&continuation=").Append(KeyPaths.Query(continuation));
        if (ConsistencyQuery(consistency) is { } local)
            query.Append('&').Append(local);
        return query.ToString();
    }

    /// <summary>
    /// The changes to <paramref name="key"/> (or, with <see cref="WatchOptions.Prefix"/>, to every key
    /// starting with it) after <paramref name="afterRevision"/>, as they happen, until the enumeration is stopped.
    /// </summary>
    /// <param name="key">The key, or the prefix.</param>
    /// <param name="afterRevision">
    /// Yield the changes with revisions greater than this, e.g. a range page's
    /// <see cref="KvRangePage.Revision"/> or the last event's; null for the changes from now on
    /// (the client reads the current revision first).
    /// </param>
    /// <param name="options">Prefix, previous values, progress marks; null for one key.</param>
    /// <param name="token">Stops the watch.</param>
    /// <remarks>
    /// Events arrive in revision order, each change exactly once. When the stream breaks (the
    /// member stops, is cut off, or sends nothing for three progress intervals) the watch
    /// reconnects by itself, to another member when it can, after the last revision it
    /// delivered completely, and skips what it had already yielded: no gap and no duplicate.
    /// </remarks>
    /// <exception cref="KvCompactedException">The history no longer holds the changes after <paramref name="afterRevision"/> (or the watch fell that far behind): range the keys again and watch after the range's revision.</exception>
    /// <exception cref="KvUnavailableException">The watch could not (re)connect to any member within <see cref="KvClientOptions.OperationTimeout"/>.</exception>
    /// <exception cref="KvException">kvdb refused the watch (e.g. 400, 403), or ended it because the caller lost access (403 permission revoked; 401 when the credentials no longer hold and reopening with the client's own was refused).</exception>
    public IAsyncEnumerable<WatchEvent> WatchAsync(string key, long? afterRevision = null, WatchOptions? options = null, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        options ??= new WatchOptions();
        if (!options.Prefix)
            KeyPaths.Validate(key);
        if (options.ProgressInterval < TimeSpan.FromMilliseconds(100) || options.ProgressInterval > TimeSpan.FromMinutes(10))
            throw new ArgumentOutOfRangeException(nameof(options), options.ProgressInterval, "WatchOptions.ProgressInterval must be from 100 ms to 10 min.");
        if (afterRevision is < 0)
            throw new ArgumentOutOfRangeException(nameof(afterRevision), afterRevision, "afterRevision must not be negative.");
        ThrowIfDisposed();
        return FollowAsync(key, afterRevision, options, token);
    }

    private async IAsyncEnumerable<WatchEvent> FollowAsync(string key, long? afterRevision, WatchOptions options, [EnumeratorCancellation] CancellationToken token)
    {
        var cursor = new WatchCursor(afterRevision ?? (await ReadRangePageAsync(key, null, 1, ReadConsistency.Linearizable, token).ConfigureAwait(false)).Revision);
        var idleTimeout = options.ProgressInterval * 3 + requestTimeout;
        var progress = ((long)options.ProgressInterval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
        var filter = (options.Prefix ? "prefix=" : "key=") + KeyPaths.Query(key) + (options.IncludePrevious ? "&prev=true" : "") + "&progress=" + progress;
        var lines = FollowLinesAsync(
            "watch",
            key,
            baseUri => new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, "v1/watch?" + filter + "&after=" + cursor.Completed.ToString(CultureInfo.InvariantCulture))),
            idleTimeout,
            () => "after revision " + cursor.Completed.ToString(CultureInfo.InvariantCulture),
            key,
            token);
        await foreach (var text in lines.ConfigureAwait(false))
        {
            var change = WireJson.ParseWatchLine(text.Span);
            switch (change.Type)
            {
                case "put" when cursor.Accept(change.Revision, change.Key):
                    yield return new WatchEvent(WatchEventType.Put, change.Key, change.Value ?? [], change.Revision, change.PreviousValue, change.PreviousRevision);
                    break;
                case "delete" when cursor.Accept(change.Revision, change.Key):
                    yield return new WatchEvent(WatchEventType.Delete, change.Key, null, change.Revision, change.PreviousValue, change.PreviousRevision);
                    break;
                case "progress" when cursor.Progress(change.Revision) && options.IncludeProgress:
                    yield return new WatchEvent(WatchEventType.Progress, "", null, change.Revision);
                    break;
                case "compacted":
                    throw new KvCompactedException(change.CompactRevision, null, $"The watch fell behind the history: changes up to revision {change.CompactRevision} are no longer kept. Range the keys again and watch from the range's revision.");
            }
        }
    }

    /// <summary>The cluster's members, as a member that answers lists them.</summary>
    /// <param name="token">Cancels the request.</param>
    /// <exception cref="KvUnavailableException">No member answered in time.</exception>
    /// <exception cref="KvException">kvdb refused the request (e.g. 401).</exception>
    public ValueTask<IReadOnlyList<KvMember>> GetMembersAsync(CancellationToken token = default)
    {
        ThrowIfDisposed();
        return pipeline.SendAsync(
            pipeline.Begin("members"),
            baseUri => new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, "v1/members")),
            async (response, attemptToken) => (IReadOnlyList<KvMember>)[.. (await ReadOkContractAsync(response, KvDbJsonContext.Default.ListMemberJson, attemptToken).ConfigureAwait(false)).Select(WireJson.ToMember)],
            token);
    }

    /// <summary>The status of one member: <paramref name="endpoint"/>, or whichever member answers first.</summary>
    /// <param name="endpoint">The client URL of the member to ask; null for any (with failover).</param>
    /// <param name="token">Cancels the request.</param>
    /// <exception cref="KvUnavailableException">No member (or not <paramref name="endpoint"/>) answered in time.</exception>
    /// <exception cref="KvException">kvdb refused the request (e.g. 401).</exception>
    public async ValueTask<KvMemberStatus> GetStatusAsync(Uri? endpoint = null, CancellationToken token = default)
    {
        ThrowIfDisposed();
        if (endpoint is null)
        {
            return await pipeline.SendAsync(
                pipeline.Begin("status"),
                baseUri => new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, "v1/status")),
                ReadStatusAsync,
                token).ConfigureAwait(false);
        }

        if (!endpoint.IsAbsoluteUri)
            throw new ArgumentException("The endpoint must be an absolute URL.", nameof(endpoint));
        if (!endpoint.AbsoluteUri.EndsWith('/'))
            endpoint = new Uri(endpoint.AbsoluteUri + "/");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(requestTimeout);
        try
        {
            using var response = await http.GetAsync(new Uri(endpoint, "v1/status"), HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            return await ReadStatusAsync(response, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (RequestPipeline.IsTransportFailure(e, token))
        {
            throw new KvUnavailableException($"{endpoint} did not answer /v1/status: {e.Message}", null, 0, e);
        }
    }

    private static async ValueTask<KvMemberStatus> ReadStatusAsync(HttpResponseMessage response, CancellationToken token)
        => WireJson.ToMemberStatus(await ReadOkContractAsync(response, KvDbJsonContext.Default.StatusJson, token).ConfigureAwait(false));

    // A 200 answer's body as the contract's record; any other answer is its problem as an exception.
    private static async ValueTask<T> ReadOkContractAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken token)
        where T : class
    {
        if (response.StatusCode is not HttpStatusCode.OK)
            throw (await ProblemAnswer.ReadAsync(response, token).ConfigureAwait(false)).ToException(null);
        return await ReadContractAsync(response, type, token).ConfigureAwait(false);
    }

    // An answer's body as the contract's record; an answer it cannot read is a KvException, not a FormatException.
    private static async ValueTask<T> ReadContractAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken token)
        where T : class
        => ReadContract(response, await response.Content.ReadAsByteArrayAsync(token).ConfigureAwait(false), type);

    private static T ReadContract<T>(HttpResponseMessage response, ReadOnlySpan<byte> body, JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            return ContractJson.Read(body, type);
        }
        catch (ContractFormatException e)
        {
            throw new KvException(response.StatusCode, "Unreadable answer", $"{response.RequestMessage?.RequestUri} answered JSON this client cannot read: {e.Message}", e);
        }
    }

    private static long? RevisionOf(HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues("X-Kvdb-Revision", out var values)
            && long.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var revision))
            return revision;
        if (response.Headers.ETag is { IsWeak: false, Tag: { Length: > 2 } tag }
            && long.TryParse(tag.AsSpan(1, tag.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out revision))
            return revision;
        return null;
    }

    private static string? ConsistencyQuery(ReadConsistency consistency) => consistency switch
    {
        ReadConsistency.Linearizable => null,
        ReadConsistency.Local => "consistency=local",
        _ => throw new ArgumentOutOfRangeException(nameof(consistency), consistency, "Unknown consistency."),
    };

    private static void Validate(KvClientOptions options)
    {
        if (options.Endpoints is not { Count: > 0 })
            throw new ArgumentException("KvClientOptions.Endpoints must name at least one member, like http://127.0.0.1:12380.", nameof(options));
        foreach (var endpoint in options.Endpoints)
        {
            if (endpoint is null || !endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
                throw new ArgumentException($"Endpoint '{endpoint}' is not an absolute http:// or https:// URL.", nameof(options));
        }

        if (options.RequestTimeout <= TimeSpan.Zero && options.RequestTimeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentException("KvClientOptions.RequestTimeout must be positive.", nameof(options));
        if (options.OperationTimeout <= TimeSpan.Zero)
            throw new ArgumentException("KvClientOptions.OperationTimeout must be positive.", nameof(options));
        if (options.ConnectTimeout is { } connect && connect <= TimeSpan.Zero && connect != Timeout.InfiniteTimeSpan)
            throw new ArgumentException("KvClientOptions.ConnectTimeout must be positive.", nameof(options));
        if (options.UnreachableTimeout is { } unreachable && unreachable <= TimeSpan.Zero)
            throw new ArgumentException("KvClientOptions.UnreachableTimeout must be positive.", nameof(options));
        if (options.RetryDelay < TimeSpan.Zero)
            throw new ArgumentException("KvClientOptions.RetryDelay must not be negative.", nameof(options));
        if (options.Token is not null && options.UserName is not null)
            throw new ArgumentException("Use KvClientOptions.Token or UserName and Password, not both.", nameof(options));
        if (options.ClientCertificate is not null && options.ClientCertificateFile is not null)
            throw new ArgumentException("Use KvClientOptions.ClientCertificate or ClientCertificateFile, not both.", nameof(options));
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);

    /// <summary>Closes the client's connections; open watches end.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Closes the client's connections; open watches end.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
            http.Dispose();
    }
}
