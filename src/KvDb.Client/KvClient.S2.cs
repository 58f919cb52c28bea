// S2's streams API as kvdb serves it under /v1 (docs/api/s2-streams.md): basins (kvdb keyspaces),
// streams (lists) and their records, through the same pipeline as every other operation.
// Invariants:
//  - Stream and record requests name their basin in the s2-basin header; records travel with
//    s2-format: base64, so bodies and headers of any bytes round-trip.
//  - Basin and stream creation carries one s2-request-token per call, the same on every try, so
//    a retried creation answers 201 again instead of 409.
//  - An append without match_seq_num is at most once: S2 appends carry no idempotency key, so
//    after a try whose outcome is unknown it is not sent again (KvUnavailableException says so).
//    With match_seq_num it is retried like any write: a second copy cannot apply, it fails with
//    seq_num_mismatch, and S2SeqNumMismatchException.Retried says an earlier try may have applied.
//  - 412 seq_num_mismatch / fencing_token_mismatch and 416 become exceptions carrying what S2
//    answered (the tail, the token); every other error is the problem's KvException.
//  - FollowRecordsAsync yields sequence numbers strictly increasing: when the event stream breaks
//    it reconnects (to another member when it can) with Last-Event-ID, the id of the last batch
//    it yielded, and drops anything at or below the last sequence number yielded. An error event
//    ends it with the error, except a first 401, after which it is reopened at once (as the
//    other follows do, KvClient.Streams.cs).
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using KvDb.Contracts;

namespace KvDb.Client;

public sealed partial class KvClient
{
    private static readonly MediaTypeHeaderValue JsonMedia = new("application/json");

    /// <summary>Creates S2 basin <paramref name="basin"/> (a kvdb keyspace; needs root when auth is on).</summary>
    /// <param name="basin">8 to 48 of a-z, 0-9 and '-', starting and ending with a letter or digit.</param>
    /// <param name="config">Its configuration; null for S2's defaults.</param>
    /// <param name="token">Cancels the request.</param>
    /// <returns>True when created (also when a retry of this call finds it created), false when it already existed.</returns>
    /// <exception cref="KvUnavailableException">No member could take the request in time.</exception>
    /// <exception cref="KvException">kvdb refused it (400 a bad name, 422 a bad configuration, 403).</exception>
    public ValueTask<bool> CreateBasinAsync(string basin, S2BasinConfigJson? config = null, CancellationToken token = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(basin);
        ThrowIfDisposed();
        var body = ContractJson.ToUtf8Bytes(new S2CreateBasinJson { Basin = basin, Config = config }, S2JsonContext.Default.S2CreateBasinJson);
        return ProvisionAsync("s2-basin-create", null, "v1/basins", body, token);
    }

    /// <summary>The S2 basins the caller may read, by name, a page at a time as the enumeration goes on.</summary>
    /// <param name="prefix">Only names starting with this; null for all.</param>
    /// <param name="token">Cancels the enumeration.</param>
    /// <exception cref="KvUnavailableException">No member could serve a page in time.</exception>
    public IAsyncEnumerable<S2BasinInfoJson> ListBasinsAsync(string? prefix = null, CancellationToken token = default)
    {
        ThrowIfDisposed();
        return ListS2Async("s2-basin-list", null, "v1/basins", prefix, S2JsonContext.Default.S2BasinListJson, static page => (page.Basins, page.HasMore), static basin => basin.Name, token);
    }

    /// <summary>S2 basin <paramref name="basin"/>'s configuration, or null when it does not exist.</summary>
    /// <exception cref="KvUnavailableException">No member answered in time.</exception>
    /// <exception cref="KvException">kvdb refused it (e.g. 403).</exception>
    public ValueTask<S2BasinConfigJson?> GetBasinConfigAsync(string basin, CancellationToken token = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(basin);
        ThrowIfDisposed();
        return GetS2OrNullAsync("s2-basin-get", null, "v1/basins/" + Uri.EscapeDataString(basin), S2JsonContext.Default.S2BasinConfigJson, token);
    }

    /// <summary>Deletes S2 basin <paramref name="basin"/> and every stream in it (needs root when auth is on).</summary>
    /// <returns>True when deleted, false when it did not exist (or a retry of this call found it deleted already).</returns>
    /// <exception cref="KvUnavailableException">No member could take the request in time.</exception>
    /// <exception cref="KvException">kvdb refused it.</exception>
    public ValueTask<bool> DeleteBasinAsync(string basin, CancellationToken token = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(basin);
        ThrowIfDisposed();
        return DeleteS2Async("s2-basin-delete", null, "v1/basins/" + Uri.EscapeDataString(basin), token);
    }

    /// <summary>Creates stream <paramref name="stream"/> in S2 basin <paramref name="basin"/> (needs write access to "basin/stream").</summary>
    /// <param name="basin">The basin (it must exist).</param>
    /// <param name="stream">1 to 512 bytes of UTF-8, without NUL.</param>
    /// <param name="config">Its configuration; null for the basin's default.</param>
    /// <param name="token">Cancels the request.</param>
    /// <returns>True when created (also when a retry of this call finds it created), false when it already existed.</returns>
    /// <exception cref="KvUnavailableException">No member could take the request in time.</exception>
    /// <exception cref="KvException">kvdb refused it (404 no such basin, 422 a bad configuration, 403).</exception>
    public ValueTask<bool> CreateStreamAsync(string basin, string stream, S2StreamConfigJson? config = null, CancellationToken token = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(basin);
        ArgumentException.ThrowIfNullOrEmpty(stream);
        ThrowIfDisposed();
        var body = ContractJson.ToUtf8Bytes(new S2CreateStreamJson { Stream = stream, Config = config }, S2JsonContext.Default.S2CreateStreamJson);
        return ProvisionAsync("s2-stream-create", basin, "v1/streams", body, token);
    }

    /// <summary>The streams of S2 basin <paramref name="basin"/> the caller may read, by name, a page at a time.</summary>
    /// <param name="basin">The basin.</param>
    /// <param name="prefix">Only names starting with this; null for all.</param>
    /// <param name="token">Cancels the enumeration.</param>
    /// <exception cref="KvUnavailableException">No member could serve a page in time.</exception>
    /// <exception cref="KvException">kvdb refused it.</exception>
    public IAsyncEnumerable<S2StreamInfoJson> ListStreamsAsync(string basin, string? prefix = null, CancellationToken token = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(basin);
        ThrowIfDisposed();
        return ListS2Async("s2-stream-list", basin, "v1/streams", prefix, S2JsonContext.Default.S2StreamListJson, static page => (page.Streams, page.HasMore), static stream => stream.Name, token);
    }

    /// <summary>A stream's configuration, every field set, or null when the stream (or basin) does not exist.</summary>
    /// <exception cref="KvUnavailableException">No member answered in time.</exception>
    /// <exception cref="KvException">kvdb refused it (e.g. 403).</exception>
    public ValueTask<S2StreamConfigJson?> GetStreamConfigAsync(string basin, string stream, CancellationToken token = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(basin);
        ArgumentException.ThrowIfNullOrEmpty(stream);
        ThrowIfDisposed();
        return GetS2OrNullAsync("s2-stream-get", basin, StreamPath(stream, null), S2JsonContext.Default.S2StreamConfigJson, token);
    }

    /// <summary>Deletes a stream and its records.</summary>
    /// <returns>True when deleted, false when it did not exist (or a retry of this call found it deleted already).</returns>
    /// <exception cref="KvUnavailableException">No member could take the request in time.</exception>
    /// <exception cref="KvException">kvdb refused it.</exception>
    public ValueTask<bool> DeleteStreamAsync(string basin, string stream, CancellationToken token = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(basin);
        ArgumentException.ThrowIfNullOrEmpty(stream);
        ThrowIfDisposed();
        return DeleteS2Async("s2-stream-delete", basin, StreamPath(stream, null), token);
    }

    /// <summary>Appends a batch of records to an S2 stream, in one log entry: they get consecutive sequence numbers.</summary>
    /// <param name="basin">The basin.</param>
    /// <param name="stream">The stream (created by the append when the basin says create_stream_on_append).</param>
    /// <param name="records">1 to 1,000 records, at most 1 MiB metered.</param>
    /// <param name="options">match_seq_num and fencing_token; null for none.</param>
    /// <param name="token">Cancels the append (its outcome is then unknown).</param>
    /// <returns>The acknowledgement: the first record's position, the position after the last, and the stream's tail.</returns>
    /// <remarks>
    /// S2 appends carry no idempotency key, so an append whose outcome the client cannot learn (a
    /// timeout, a connection lost after sending, a 503 that says the outcome is unknown) is NOT
    /// sent again unless it carries <see cref="S2AppendOptions.MatchSeqNum"/>: it fails with
    /// <see cref="KvUnavailableException"/>, and may or may not have been applied. With
    /// MatchSeqNum it is retried on another member like any write, and can apply only once; a
    /// retry that finds its own records fails with <see cref="S2SeqNumMismatchException"/> whose
    /// <see cref="S2SeqNumMismatchException.Retried"/> is true. Appends that failed to connect or
    /// found no leader (nothing applied) are always retried.
    /// </remarks>
    /// <exception cref="S2SeqNumMismatchException">MatchSeqNum was not the stream's tail; nothing was appended.</exception>
    /// <exception cref="S2FencingTokenMismatchException">FencingToken was not the stream's; nothing was appended.</exception>
    /// <exception cref="KvUnavailableException">No member could take the append in time, or its outcome is unknown.</exception>
    /// <exception cref="KvException">kvdb refused it: 404 no such basin or stream, 422 a bad batch, 413 too large, 403.</exception>
    public ValueTask<S2AppendAckJson> AppendRecordsAsync(string basin, string stream, IEnumerable<S2AppendRecord> records, S2AppendOptions? options = null, CancellationToken token = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(basin);
        ArgumentException.ThrowIfNullOrEmpty(stream);
        ArgumentNullException.ThrowIfNull(records);
        var body = S2AppendBody(records, options);
        ThrowIfDisposed();
        var attempts = options?.MatchSeqNum is null ? pipeline.BeginAtMostOnce("s2-append") : pipeline.Begin("s2-append");
        return pipeline.SendAsync(
            attempts,
            baseUri => S2Request(HttpMethod.Post, baseUri, basin, StreamPath(stream, "/records"), body),
            async (response, attemptToken) =>
            {
                if (response.StatusCode is not HttpStatusCode.OK)
                    throw await S2RefusedAsync(response, attempts.Tries > 1, attemptToken).ConfigureAwait(false);
                return await ReadContractAsync(response, S2JsonContext.Default.S2AppendAckJson, attemptToken).ConfigureAwait(false);
            },
            token);
    }

    /// <summary>Appends one record.</summary>
    /// <inheritdoc cref="AppendRecordsAsync(string, string, IEnumerable{S2AppendRecord}, S2AppendOptions?, CancellationToken)"/>
    public ValueTask<S2AppendAckJson> AppendRecordsAsync(string basin, string stream, S2AppendRecord record, S2AppendOptions? options = null, CancellationToken token = default)
        => AppendRecordsAsync(basin, stream, [record ?? throw new ArgumentNullException(nameof(record))], options, token);

    /// <summary>Reads one batch of records (at most 1,000 and 1 MiB; fewer when <see cref="S2ReadOptions.Count"/> or <see cref="S2ReadOptions.Bytes"/> say so).</summary>
    /// <param name="basin">The basin.</param>
    /// <param name="stream">The stream.</param>
    /// <param name="options">Where to start (the tail when null, as in S2) and when to stop.</param>
    /// <param name="token">Cancels the read.</param>
    /// <returns>The records, in sequence order; trimmed ones are skipped.</returns>
    /// <exception cref="S2RangeNotSatisfiableException">The read starts at or past the tail (with <see cref="S2ReadOptions.Clamp"/>, past the tail starts at it).</exception>
    /// <exception cref="KvUnavailableException">No member could serve the read in time.</exception>
    /// <exception cref="KvException">kvdb refused it (404 no such basin or stream, 403).</exception>
    public ValueTask<IReadOnlyList<S2StreamRecord>> ReadRecordsAsync(string basin, string stream, S2ReadOptions? options = null, CancellationToken token = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(basin);
        ArgumentException.ThrowIfNullOrEmpty(stream);
        var query = ReadQuery(options ?? new S2ReadOptions(), follow: false);
        ThrowIfDisposed();
        return pipeline.SendAsync<IReadOnlyList<S2StreamRecord>>(
            pipeline.Begin("s2-read"),
            baseUri => S2Request(HttpMethod.Get, baseUri, basin, StreamPath(stream, "/records" + query), null),
            async (response, attemptToken) =>
            {
                if (response.StatusCode is not HttpStatusCode.OK)
                    throw await S2RefusedAsync(response, false, attemptToken).ConfigureAwait(false);
                var batch = await ReadContractAsync(response, S2JsonContext.Default.S2ReadBatchJson, attemptToken).ConfigureAwait(false);
                return ToRecords(response, batch);
            },
            token);
    }

    /// <summary>The stream's tail: its next sequence number and its last record's timestamp.</summary>
    /// <exception cref="KvUnavailableException">No member could serve the request in time.</exception>
    /// <exception cref="KvException">kvdb refused it (404 no such basin or stream, 403).</exception>
    public ValueTask<S2PositionJson> CheckTailAsync(string basin, string stream, CancellationToken token = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(basin);
        ArgumentException.ThrowIfNullOrEmpty(stream);
        ThrowIfDisposed();
        return pipeline.SendAsync(
            pipeline.Begin("s2-tail"),
            baseUri => S2Request(HttpMethod.Get, baseUri, basin, StreamPath(stream, "/records/tail"), null),
            async (response, attemptToken) =>
            {
                if (response.StatusCode is not HttpStatusCode.OK)
                    throw await S2RefusedAsync(response, false, attemptToken).ConfigureAwait(false);
                return (await ReadContractAsync(response, S2JsonContext.Default.S2TailJson, attemptToken).ConfigureAwait(false)).Tail;
            },
            token);
    }

    /// <summary>
    /// The records of a stream from where <paramref name="start"/> says on, then every record
    /// appended after them as it commits, until the enumeration is stopped (S2's Server-Sent Events read).
    /// </summary>
    /// <param name="basin">The basin.</param>
    /// <param name="stream">The stream.</param>
    /// <param name="start">Where to start (<see cref="S2ReadOptions.SeqNum"/>, <see cref="S2ReadOptions.Timestamp"/> or <see cref="S2ReadOptions.TailOffset"/>, and <see cref="S2ReadOptions.Clamp"/>); null for the tail. A follow has no count, bytes or until: stop the enumeration instead.</param>
    /// <param name="token">Stops following.</param>
    /// <remarks>
    /// When the stream breaks (its member stops, or nothing, not even a heartbeat, arrives for
    /// <see cref="KvClientOptions.RequestTimeout"/> plus 20 s) the client reconnects, to another
    /// member when it can, with <c>Last-Event-ID</c>: each record is yielded once, in order.
    /// </remarks>
    /// <exception cref="S2RangeNotSatisfiableException">The start is past the tail (and not clamped).</exception>
    /// <exception cref="KvUnavailableException">No member could be (re)connected to within <see cref="KvClientOptions.OperationTimeout"/>.</exception>
    /// <exception cref="KvException">kvdb refused the read (404, 403), or ended it because the caller lost access.</exception>
    public IAsyncEnumerable<S2StreamRecord> FollowRecordsAsync(string basin, string stream, S2ReadOptions? start = null, CancellationToken token = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(basin);
        ArgumentException.ThrowIfNullOrEmpty(stream);
        if (start is { Count: not null } or { Bytes: not null } or { Until: not null })
            throw new ArgumentException("A follow runs until it is stopped: give no Count, Bytes or Until, and stop the enumeration instead.", nameof(start));
        var query = ReadQuery(start ?? new S2ReadOptions(), follow: true);
        ThrowIfDisposed();
        return FollowRecordsCoreAsync(basin, stream, query, token);
    }

    private async IAsyncEnumerable<S2StreamRecord> FollowRecordsCoreAsync(string basin, string stream, string query, [EnumeratorCancellation] CancellationToken token)
    {
        // The member sends a ping at least every 10 s while the stream is quiet.
        var idleTimeout = requestTimeout + TimeSpan.FromSeconds(20);
        var next = -1L;
        string? lastEventId = null;
        var unauthorizedEvents = 0;
        for (var connection = 0; ; connection++)
        {
            var resumeFrom = lastEventId;
            var (response, endpoint, headersTimeout) = await pipeline.OpenAsync(
                connection == 0 ? pipeline.Begin("s2-follow") : pipeline.BeginResume("s2-follow"),
                baseUri =>
                {
                    var request = S2Request(HttpMethod.Get, baseUri, basin, StreamPath(stream, "/records" + query), null);
                    request.Headers.Accept.Clear();
                    request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
                    if (resumeFrom is not null)
                        request.Headers.TryAddWithoutValidation("Last-Event-ID", resumeFrom);
                    return request;
                },
                token).ConfigureAwait(false);
            headersTimeout.Dispose();
            using (response)
            {
                if (response.StatusCode is not HttpStatusCode.OK)
                    throw await S2RefusedAsync(response, false, token).ConfigureAwait(false);
                if (connection > 0)
                    metrics.WatchReconnect();
                var subject = basin + "/" + stream;
                KvClientLog.StreamOpened(logger, "s2-follow", subject, endpoint.BaseUri, "seq_num " + (next < 0 ? "start" : next.ToString(CultureInfo.InvariantCulture)));

                Exception lost;
                var reopenAtOnce = false;
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(token);
                using var lines = new NdjsonLineReader(await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false));
                string? eventName = null, eventId = null;
                byte[]? data = null;
                while (true)
                {
                    ReadOnlyMemory<byte>? read;
                    idle.CancelAfter(idleTimeout);
                    try
                    {
                        read = await lines.ReadLineAsync(idle.Token).ConfigureAwait(false);
                    }
                    catch (Exception e) when (RequestPipeline.IsTransportFailure(e, token))
                    {
                        lost = e is OperationCanceledException ? new TimeoutException($"nothing arrived for {idleTimeout.TotalSeconds:0.#} s", e) : e;
                        break;
                    }

                    if (read is not { } memory)
                    {
                        lost = new IOException("the member ended the stream");
                        break;
                    }

                    var line = memory.Span;
                    if (line.EndsWith("\r"u8))
                        line = line[..^1];
                    if (!line.IsEmpty)
                    {
                        // One field of the event being read (SSE: "name: value"; a leading ':' is a comment).
                        if (line.StartsWith("data:"u8))
                            data = FieldValue(line[5..]).ToArray();
                        else if (line.StartsWith("event:"u8))
                            eventName = Encoding.UTF8.GetString(FieldValue(line[6..]));
                        else if (line.StartsWith("id:"u8))
                            eventId = Encoding.UTF8.GetString(FieldValue(line[3..]));
                        continue;
                    }

                    // A blank line ends the event.
                    var (name, id, payload) = (eventName, eventId, data);
                    (eventName, eventId, data) = (null, null, null);
                    if (payload is null)
                        continue;
                    if (payload.AsSpan().SequenceEqual("[DONE]"u8))
                        yield break;
                    if (name is "error")
                    {
                        // As the other follows (KvClient.Streams.cs): a 401 says the credentials
                        // the stream was opened with no longer hold; the client's may, so reopen
                        // once at once and let the answer decide.
                        var error = S2Refused(HttpStatusCode.OK, null, payload, false);
                        if (error.StatusCode is not HttpStatusCode.Unauthorized || ++unauthorizedEvents > 1)
                            throw error;
                        lost = error;
                        reopenAtOnce = true;
                        break;
                    }

                    if (name is not "batch")
                        continue;

                    unauthorizedEvents = 0;

                    S2ReadBatchJson batch;
                    try
                    {
                        batch = ContractJson.Read(payload, S2JsonContext.Default.S2ReadBatchJson);
                    }
                    catch (ContractFormatException e)
                    {
                        throw new KvException(HttpStatusCode.OK, "Unreadable answer", $"{endpoint.BaseUri} sent an S2 batch event this client cannot read: {e.Message}", e);
                    }

                    foreach (var record in ToRecords(response, batch))
                    {
                        if (record.SeqNum < next)
                            continue;
                        next = record.SeqNum + 1;
                        yield return record;
                    }

                    lastEventId = id ?? lastEventId;
                }

                if (!reopenAtOnce)
                    endpoint.Failed(TimeSpan.FromMilliseconds(200), retryAfter: null);
                KvClientLog.StreamLost(logger, "s2-follow", subject, endpoint.BaseUri, lost.Message, "seq_num " + (next < 0 ? "start" : next.ToString(CultureInfo.InvariantCulture)));
            }
        }
    }

    // An SSE field's value: after the colon, without the one space that may follow it.
    private static ReadOnlySpan<byte> FieldValue(ReadOnlySpan<byte> rest) => rest.StartsWith(" "u8) ? rest[1..] : rest;

    // Creates a basin or a stream with one request token for every try: true on 201, false on 409.
    private ValueTask<bool> ProvisionAsync(string operation, string? basin, string path, byte[] body, CancellationToken token)
    {
        var requestToken = Guid.NewGuid().ToString("N");
        return pipeline.SendAsync(
            pipeline.Begin(operation),
            baseUri =>
            {
                var request = S2Request(HttpMethod.Post, baseUri, basin, path, body);
                request.Headers.TryAddWithoutValidation("s2-request-token", requestToken);
                return request;
            },
            async (response, attemptToken) => response.StatusCode switch
            {
                HttpStatusCode.Created or HttpStatusCode.OK => true,
                HttpStatusCode.Conflict => false,
                _ => throw await S2RefusedAsync(response, false, attemptToken).ConfigureAwait(false),
            },
            token);
    }

    // Deletes a basin or a stream: true on 202, false on 404.
    private ValueTask<bool> DeleteS2Async(string operation, string? basin, string path, CancellationToken token)
        => pipeline.SendAsync(
            pipeline.Begin(operation),
            baseUri => S2Request(HttpMethod.Delete, baseUri, basin, path, null),
            async (response, attemptToken) => response.StatusCode switch
            {
                HttpStatusCode.Accepted or HttpStatusCode.NoContent or HttpStatusCode.OK => true,
                HttpStatusCode.NotFound => false,
                _ => throw await S2RefusedAsync(response, false, attemptToken).ConfigureAwait(false),
            },
            token);

    // A 200 answer as the contract's record, null for 404.
    private ValueTask<T?> GetS2OrNullAsync<T>(string operation, string? basin, string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken token)
        where T : class
        => pipeline.SendAsync(
            pipeline.Begin(operation),
            baseUri => S2Request(HttpMethod.Get, baseUri, basin, path, null),
            async (response, attemptToken) => response.StatusCode switch
            {
                HttpStatusCode.OK => await ReadContractAsync(response, type, attemptToken).ConfigureAwait(false),
                HttpStatusCode.NotFound => null,
                _ => throw await S2RefusedAsync(response, false, attemptToken).ConfigureAwait(false),
            },
            token);

    // Every page of a basin or stream listing, each page after the last name of the one before.
    private async IAsyncEnumerable<TItem> ListS2Async<TPage, TItem>(
        string operation,
        string? basin,
        string path,
        string? prefix,
        System.Text.Json.Serialization.Metadata.JsonTypeInfo<TPage> type,
        Func<TPage, (IReadOnlyList<TItem> Items, bool HasMore)> items,
        Func<TItem, string> nameOf,
        [EnumeratorCancellation] CancellationToken token)
        where TPage : class
    {
        var after = "";
        while (true)
        {
            var query = "?limit=1000&prefix=" + Uri.EscapeDataString(prefix ?? "") + "&start_after=" + Uri.EscapeDataString(after);
            var (page, more) = await pipeline.SendAsync(
                pipeline.Begin(operation),
                baseUri => S2Request(HttpMethod.Get, baseUri, basin, path + query, null),
                async (response, attemptToken) =>
                {
                    if (response.StatusCode is not HttpStatusCode.OK)
                        throw await S2RefusedAsync(response, false, attemptToken).ConfigureAwait(false);
                    return items(await ReadContractAsync(response, type, attemptToken).ConfigureAwait(false));
                },
                token).ConfigureAwait(false);
            foreach (var item in page)
                yield return item;
            if (!more || page.Count == 0)
                yield break;
            after = nameOf(page[^1]);
        }
    }

    // A request of S2's API: the basin in s2-basin, JSON with base64 records, the body when given.
    private static HttpRequestMessage S2Request(HttpMethod method, Uri baseUri, string? basin, string path, byte[]? body)
    {
        var request = new HttpRequestMessage(method, new Uri(baseUri.AbsoluteUri + path, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }));
        if (basin is not null)
            request.Headers.TryAddWithoutValidation("s2-basin", basin);
        request.Headers.TryAddWithoutValidation("s2-format", "base64");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null)
            request.Content = new ByteArrayContent(body) { Headers = { ContentType = JsonMedia } };
        return request;
    }

    // A stream's path; a '/' in its name is sent as %2F (the member decodes the raw path once).
    private static string StreamPath(string stream, string? rest) => "v1/streams/" + Uri.EscapeDataString(stream) + rest;

    private static string ReadQuery(S2ReadOptions options, bool follow)
    {
        var starts = new object?[] { options.SeqNum, options.Timestamp, options.TailOffset }.Count(static s => s is not null);
        if (starts > 1)
            throw new ArgumentException("Give at most one of SeqNum, Timestamp and TailOffset.", nameof(options));
        if (options.SeqNum is < 0 || options.TailOffset is < 0 || options.Count is < 0 || options.Bytes is < 0)
            throw new ArgumentOutOfRangeException(nameof(options), "SeqNum, TailOffset, Count and Bytes must not be negative.");
        var query = new StringBuilder();
        void Add(string name, long value) => query.Append(query.Length == 0 ? '?' : '&').Append(name).Append('=').Append(value.ToString(CultureInfo.InvariantCulture));
        if (options.SeqNum is { } seq)
            Add("seq_num", seq);
        if (options.Timestamp is { } at)
            Add("timestamp", Math.Max(0, at.ToUnixTimeMilliseconds()));
        if (options.TailOffset is { } offset)
            Add("tail_offset", offset);
        if (options.Clamp)
            query.Append(query.Length == 0 ? '?' : '&').Append("clamp=true");
        if (!follow)
        {
            if (options.Count is { } count)
                Add("count", count);
            if (options.Bytes is { } bytes)
                Add("bytes", bytes);
            if (options.Until is { } until)
                Add("until", Math.Max(0, until.ToUnixTimeMilliseconds()));
        }

        return query.ToString();
    }

    // The append's JSON: every body and header in base64.
    private static byte[] S2AppendBody(IEnumerable<S2AppendRecord> records, S2AppendOptions? options)
    {
        var json = new List<S2AppendRecordJson>();
        foreach (var record in records)
        {
            ArgumentNullException.ThrowIfNull(record, nameof(records));
            ArgumentNullException.ThrowIfNull(record.Body, nameof(records));
            if (record.Timestamp is { } at && at.ToUnixTimeMilliseconds() < 0)
                throw new ArgumentOutOfRangeException(nameof(records), at, "A record's timestamp must not be before 1970.");
            List<IReadOnlyList<string>>? headers = null;
            foreach (var header in record.Headers ?? [])
            {
                ArgumentNullException.ThrowIfNull(header, nameof(records));
                (headers ??= []).Add([Convert.ToBase64String(header.Name), Convert.ToBase64String(header.Value)]);
            }

            json.Add(new S2AppendRecordJson { Body = Convert.ToBase64String(record.Body), Headers = headers, Timestamp = record.Timestamp?.ToUnixTimeMilliseconds() });
        }

        if (json.Count == 0)
            throw new ArgumentException("An append needs at least one record.", nameof(records));
        if (options?.MatchSeqNum is < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.MatchSeqNum, "MatchSeqNum must not be negative.");
        var input = new S2AppendInputJson { Records = json, MatchSeqNum = options?.MatchSeqNum, FencingToken = options?.FencingToken };
        return ContractJson.ToUtf8Bytes(input, S2JsonContext.Default.S2AppendInputJson);
    }

    // A batch's records with their bodies and headers decoded from base64.
    private static List<S2StreamRecord> ToRecords(HttpResponseMessage response, S2ReadBatchJson batch)
    {
        try
        {
            return [.. batch.Records.Select(static r => new S2StreamRecord(
                r.SeqNum,
                r.Timestamp,
                [.. (r.Headers ?? []).Select(static h => h is [var name, var value] ? new S2Header(Convert.FromBase64String(name), Convert.FromBase64String(value)) : throw new FormatException("a header is not a [name, value] pair"))],
                r.Body is null ? [] : Convert.FromBase64String(r.Body)))];
        }
        catch (FormatException e)
        {
            throw new KvException(response.StatusCode, "Unreadable answer", $"{response.RequestMessage?.RequestUri} answered records this client cannot read: {e.Message}", e);
        }
    }

    private static async ValueTask<KvException> S2RefusedAsync(HttpResponseMessage response, bool retried, CancellationToken token)
    {
        var body = await ProblemAnswer.ReadBodyAsync(response, token).ConfigureAwait(false);
        var problem = ProblemAnswer.Parse(response, body.Span);
        return S2Refused(response.StatusCode, problem, body, retried);
    }

    // What an S2 error means: S2's own members of 412 and 416 (or of an SSE error event, whose
    // status is in the body), else the problem's exception. `problem` is null for an event.
    private static KvException S2Refused(HttpStatusCode status, ProblemAnswer? problem, ReadOnlyMemory<byte> body, bool retried)
    {
        string? title = problem?.Title, detail = problem?.Detail;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind is JsonValueKind.Object)
            {
                if (problem is null)
                {
                    status = root.TryGetProperty("status", out var s) && s.TryGetInt32(out var code) ? (HttpStatusCode)code : status;
                    title = root.TryGetProperty("title", out var t) ? t.GetString() : null;
                    detail = root.TryGetProperty("detail", out var d) ? d.GetString() : root.TryGetProperty("message", out var m) ? m.GetString() : null;
                }

                if (root.TryGetProperty("seq_num_mismatch", out var seq) && seq.TryGetInt64(out var expected))
                    return new S2SeqNumMismatchException(expected, retried, title, detail);
                if (root.TryGetProperty("fencing_token_mismatch", out var fence) && fence.ValueKind is JsonValueKind.String)
                    return new S2FencingTokenMismatchException(fence.GetString()!, title, detail);
                if (status is HttpStatusCode.RequestedRangeNotSatisfiable && root.TryGetProperty("tail", out var tail)
                    && tail.TryGetProperty("seq_num", out var tailSeq) && tail.TryGetProperty("timestamp", out var tailAt))
                    return new S2RangeNotSatisfiableException(new S2PositionJson(tailSeq.GetInt64(), tailAt.GetInt64()), title, detail);
            }
        }
        catch (JsonException)
        {
            // Not JSON: the problem as parsed (text as detail) stands.
        }
        catch (InvalidOperationException)
        {
            // A member of an unexpected kind: likewise.
        }
        catch (FormatException)
        {
            // A number out of range: likewise.
        }

        return problem?.ToException(null) ?? new KvException(status, title, detail);
    }
}
