// kvdb's keyspaces and appendable lists: create and delete keyspaces, list a keyspace's lists
// with their metadata, append items (with producer nonces for exactly-once appends), read a list
// a page at a time in either order, and follow a list as it grows.
// Invariants:
//  - Appends are retried on another member like every write, with the same Idempotency-Key on
//    every attempt, so a retried append applies once; nonces also skip items a producer resends
//    after it restarts (a new call, a new key).
//  - ReadListAsync pages with the server's continuation, so it yields each item once, in order.
//  - FollowListAsync yields offsets strictly increasing by one from fromOffset: when the stream
//    breaks it reconnects (to another member when it can) with startOffset = the next offset it
//    has not yielded, so nothing is missed and nothing is yielded twice.
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using KvDb.Contracts;

namespace KvDb.Client;

public sealed partial class KvClient
{
    /// <summary>The most items one list page may ask for.</summary>
    public const int MaxListPageSize = 1000;

    /// <summary>Creates keyspace <paramref name="name"/> (needs root when auth is on).</summary>
    /// <returns>True when created, false when it already existed.</returns>
    /// <exception cref="KvUnavailableException">No member could take the request in time.</exception>
    /// <exception cref="KvException">kvdb refused it (e.g. 400 for a bad name, 403).</exception>
    public ValueTask<bool> CreateKeyspaceAsync(string name, CancellationToken token = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ThrowIfDisposed();
        return ChangeKeyspaceAsync("keyspace-create", HttpMethod.Put, name, HttpStatusCode.Created, unchanged: HttpStatusCode.Conflict, token);
    }

    /// <summary>Deletes keyspace <paramref name="name"/> and every list in it (needs root when auth is on).</summary>
    /// <returns>True when deleted, false when it did not exist.</returns>
    /// <exception cref="KvUnavailableException">No member could take the request in time.</exception>
    /// <exception cref="KvException">kvdb refused it.</exception>
    public ValueTask<bool> DeleteKeyspaceAsync(string name, CancellationToken token = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ThrowIfDisposed();
        return ChangeKeyspaceAsync("keyspace-delete", HttpMethod.Delete, name, HttpStatusCode.NoContent, unchanged: HttpStatusCode.NotFound, token);
    }

    // Creates or deletes a keyspace: true when `done` (or 200) answers, false when `unchanged` does
    // (it already existed, or did not), an exception for anything else.
    private ValueTask<bool> ChangeKeyspaceAsync(string operation, HttpMethod method, string name, HttpStatusCode done, HttpStatusCode unchanged, CancellationToken token)
        => pipeline.SendAsync(
            pipeline.Begin(operation),
            baseUri => new HttpRequestMessage(method, new Uri(baseUri, "v1/keyspaces/" + Uri.EscapeDataString(name))),
            async (response, attemptToken) =>
            {
                if (response.StatusCode == done || response.StatusCode is HttpStatusCode.OK)
                    return true;
                if (response.StatusCode == unchanged)
                    return false;
                throw (await ProblemAnswer.ReadAsync(response, attemptToken).ConfigureAwait(false)).ToException(null);
            },
            token);

    /// <summary>Keyspace <paramref name="name"/>'s metadata, or null when it does not exist.</summary>
    /// <exception cref="KvUnavailableException">No member answered in time.</exception>
    /// <exception cref="KvException">kvdb refused it.</exception>
    public ValueTask<KvKeyspaceInfo?> GetKeyspaceAsync(string name, CancellationToken token = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ThrowIfDisposed();
        return GetContractOrNullAsync("keyspace-get", "v1/keyspaces/" + Uri.EscapeDataString(name), KvDbJsonContext.Default.KeyspaceJson, static keyspace => new KvKeyspaceInfo(
            keyspace.Name, keyspace.CreatedAt, keyspace.Keys, keyspace.Items, keyspace.Bytes), token);
    }

    /// <summary>The lists of <paramref name="keyspace"/> the caller may read, in key order, with their metadata.</summary>
    /// <param name="keyspace">The keyspace.</param>
    /// <param name="pageSize">Lists per request, 1 to 1,000.</param>
    /// <param name="token">Cancels the enumeration.</param>
    /// <remarks>Each page is a linearizable read of its own; the pages together are not one snapshot.</remarks>
    /// <exception cref="KvException">kvdb refused it: 404 no such keyspace, 403 the caller may read no list of it.</exception>
    /// <exception cref="KvUnavailableException">No member could serve a page in time.</exception>
    public IAsyncEnumerable<KvListInfo> ListListsAsync(string keyspace, int pageSize = 100, CancellationToken token = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyspace);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSize, MaxListPageSize);
        ThrowIfDisposed();
        return ListListPagesAsync(keyspace, pageSize, token);
    }

    private async IAsyncEnumerable<KvListInfo> ListListPagesAsync(string keyspace, int pageSize, [EnumeratorCancellation] CancellationToken token)
    {
        var path = "v1/keyspaces/" + Uri.EscapeDataString(keyspace) + "/lists?limit=" + pageSize.ToString(CultureInfo.InvariantCulture);
        string? continuation = null;
        do
        {
            var query = continuation is null ? path : path + "&continuation=" + Uri.EscapeDataString(continuation);
            var page = await pipeline.SendAsync(
                pipeline.Begin("list-lists"),
                baseUri => new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, query)),
                async (response, attemptToken) =>
                {
                    if (response.StatusCode is not HttpStatusCode.OK)
                        throw (await ProblemAnswer.ReadAsync(response, attemptToken).ConfigureAwait(false)).ToException(null);
                    return await ReadContractAsync(response, KvDbJsonContext.Default.ListListJson, attemptToken).ConfigureAwait(false);
                },
                token).ConfigureAwait(false);
            foreach (var list in page.Lists)
                yield return ToListInfo(list);
            continuation = page.Continuation;
        }
        while (continuation is not null);
    }

    /// <summary>List <paramref name="key"/> of <paramref name="keyspace"/>'s metadata, or null when the keyspace or the list does not exist.</summary>
    /// <exception cref="KvException">kvdb refused it (e.g. 403).</exception>
    /// <exception cref="KvUnavailableException">No member answered in time.</exception>
    public ValueTask<KvListInfo?> GetListInfoAsync(string keyspace, string key, CancellationToken token = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyspace);
        KeyPaths.Validate(key);
        ThrowIfDisposed();
        return pipeline.SendAsync(
            pipeline.Begin("list-get"),
            baseUri => new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri.AbsoluteUri + "v1/keyspaces/" + Uri.EscapeDataString(keyspace) + "/lists/" + KeyPaths.Escape(key),
                new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true })),
            async (response, attemptToken) =>
            {
                if (response.StatusCode is HttpStatusCode.NotFound)
                    return null;
                if (response.StatusCode is not HttpStatusCode.OK)
                    throw (await ProblemAnswer.ReadAsync(response, attemptToken).ConfigureAwait(false)).ToException(null);
                return (KvListInfo?)ToListInfo(await ReadContractAsync(response, KvDbJsonContext.Default.ListInfoJson, attemptToken).ConfigureAwait(false));
            },
            token);
    }

    private static KvListInfo ToListInfo(ListInfoJson list)
        => new(list.Keyspace, list.Key, list.FirstOffset, list.LastOffset, list.Count, list.Bytes,
            list.LastNonce is { } nonce ? UInt128.Parse(nonce, NumberStyles.None, CultureInfo.InvariantCulture) : null,
            DateTimeOffset.FromUnixTimeMilliseconds(list.FirstTimestamp), DateTimeOffset.FromUnixTimeMilliseconds(list.LastTimestamp));

    /// <summary>Appends <paramref name="items"/> to list <paramref name="key"/> of <paramref name="keyspace"/>, in one log entry.</summary>
    /// <param name="keyspace">The keyspace (it must exist).</param>
    /// <param name="key">The list's key.</param>
    /// <param name="items">1 to 10,000 items.</param>
    /// <param name="token">Cancels the append (its outcome is then unknown).</param>
    /// <returns>The offsets given and how many items were appended and skipped as duplicates.</returns>
    /// <remarks>
    /// The client retries on another member when one fails, with the same Idempotency-Key, so the
    /// append applies once however often it is sent. Nonces cover what this cannot: a producer
    /// that restarts and sends items again in a new call; an item whose nonce is not greater than
    /// the list's last is skipped.
    /// </remarks>
    /// <exception cref="KvException">kvdb refused it: 404 no such keyspace, 400 a timestamp below the list's last (nothing was appended), 413 too large.</exception>
    /// <exception cref="KvUnavailableException">No member could take the append in time; it may or may not have been applied.</exception>
    public ValueTask<ListAppendResult> AppendAsync(string keyspace, string key, IEnumerable<ListAppendItem> items, CancellationToken token = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyspace);
        KeyPaths.Validate(key);
        ArgumentNullException.ThrowIfNull(items);
        var body = AppendBody(items);
        ThrowIfDisposed();
        var idempotencyKey = Guid.NewGuid().ToString("N");
        return pipeline.SendAsync(
            pipeline.Begin("append", idempotencyKey),
            baseUri => new HttpRequestMessage(HttpMethod.Post, ListUri(baseUri, keyspace, key, null))
            {
                Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
                Headers = { { "Idempotency-Key", idempotencyKey } },
            },
            async (response, attemptToken) =>
            {
                if (response.StatusCode is not HttpStatusCode.OK)
                    throw (await ProblemAnswer.ReadAsync(response, attemptToken).ConfigureAwait(false)).ToException(null);
                var appended = await ReadContractAsync(response, KvDbJsonContext.Default.ListAppendedJson, attemptToken).ConfigureAwait(false);
                return new ListAppendResult(appended.FirstOffset, appended.LastOffset, (int)appended.Appended, (int)appended.Skipped, appended.Revision);
            },
            token);
    }

    /// <summary>Appends one item.</summary>
    /// <inheritdoc cref="AppendAsync(string, string, IEnumerable{ListAppendItem}, CancellationToken)"/>
    public ValueTask<ListAppendResult> AppendAsync(string keyspace, string key, ListAppendItem item, CancellationToken token = default)
        => AppendAsync(keyspace, key, [item ?? throw new ArgumentNullException(nameof(item))], token);

    /// <summary>The items of a list, read a page at a time as the enumeration goes on.</summary>
    /// <param name="keyspace">The keyspace.</param>
    /// <param name="key">The list's key.</param>
    /// <param name="options">Order, limit, page size, where to start; null for every item, oldest first.</param>
    /// <param name="token">Cancels the enumeration.</param>
    /// <remarks>A list (or keyspace) that does not exist reads as empty.</remarks>
    /// <exception cref="KvUnavailableException">No member could serve a page in time.</exception>
    /// <exception cref="KvException">kvdb refused the read (e.g. 403).</exception>
    public IAsyncEnumerable<ListItem> ReadListAsync(string keyspace, string key, ListReadOptions? options = null, CancellationToken token = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyspace);
        KeyPaths.Validate(key);
        options ??= new ListReadOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.PageSize, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.PageSize, MaxListPageSize, nameof(options));
        if (options.Limit is < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.Limit, "ListReadOptions.Limit must not be negative.");
        if (new object?[] { options.StartOffset, options.StartTimestamp, options.StartNonce }.Count(static start => start is not null) > 1)
            throw new ArgumentException("Give at most one of StartOffset, StartTimestamp and StartNonce.", nameof(options));
        if (options.StartOffset is < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.StartOffset, "ListReadOptions.StartOffset must not be negative.");
        ThrowIfDisposed();
        return ReadListPagesAsync(keyspace, key, options, token);
    }

    private async IAsyncEnumerable<ListItem> ReadListPagesAsync(string keyspace, string key, ListReadOptions options, [EnumeratorCancellation] CancellationToken token)
    {
        var order = options.Order is ListOrder.Backward ? "backward" : "forward";
        var start = options switch
        {
            { StartOffset: { } offset } => "&startOffset=" + offset.ToString(CultureInfo.InvariantCulture),
            { StartTimestamp: { } at } => "&startTimestamp=" + Math.Max(0, at.ToUnixTimeMilliseconds()).ToString(CultureInfo.InvariantCulture),
            { StartNonce: { } nonce } => "&startNonce=" + nonce.ToString(CultureInfo.InvariantCulture),
            _ => "",
        };
        var consistency = ConsistencyQuery(options.Consistency) is { } local ? "&" + local : "";
        var left = options.Limit ?? long.MaxValue;
        while (left > 0)
        {
            var limit = (int)Math.Min(options.PageSize, left);
            var query = "order=" + order + "&limit=" + limit.ToString(CultureInfo.InvariantCulture) + start + consistency;
            var (items, continuation) = await pipeline.SendAsync(
                pipeline.Begin("list-read"),
                baseUri => new HttpRequestMessage(HttpMethod.Get, ListUri(baseUri, keyspace, key, query)),
                async (response, attemptToken) =>
                {
                    if (response.StatusCode is not HttpStatusCode.OK)
                        throw (await ProblemAnswer.ReadAsync(response, attemptToken).ConfigureAwait(false)).ToException(null);
                    var page = await ReadContractAsync(response, KvDbJsonContext.Default.ListPageJson, attemptToken).ConfigureAwait(false);
                    return (page.Items.Select(ToListItem).ToList(), page.Continuation);
                },
                token).ConfigureAwait(false);
            foreach (var item in items)
                yield return item;
            left -= items.Count;
            if (continuation is null || items.Count == 0)
                yield break;
            start = "&continuation=" + Uri.EscapeDataString(continuation);
        }
    }

    /// <summary>
    /// The items of a list from offset <paramref name="fromOffset"/> on, then every item appended
    /// after them, as they commit, until the enumeration is stopped.
    /// </summary>
    /// <param name="keyspace">The keyspace.</param>
    /// <param name="key">The list's key.</param>
    /// <param name="fromOffset">The first offset to yield (0 for the whole list).</param>
    /// <param name="token">Stops following.</param>
    /// <remarks>
    /// When the stream breaks (the member stops, or nothing arrives for a while) the client
    /// reconnects, to another member when it can, from the offset after the last item it
    /// yielded: each item is yielded once, in offset order, without gaps. The server sends
    /// nothing while the list does not grow, so a quiet list costs one idle reconnect per
    /// <see cref="KvClientOptions.RequestTimeout"/> plus 20 s.
    /// </remarks>
    /// <exception cref="KvUnavailableException">No member could be (re)connected to within <see cref="KvClientOptions.OperationTimeout"/>.</exception>
    /// <exception cref="KvException">kvdb refused the read (e.g. 403), or ended the follow because the caller lost access (401, 403).</exception>
    public IAsyncEnumerable<ListItem> FollowListAsync(string keyspace, string key, long fromOffset = 0, CancellationToken token = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyspace);
        KeyPaths.Validate(key);
        ArgumentOutOfRangeException.ThrowIfNegative(fromOffset);
        ThrowIfDisposed();
        return FollowListCoreAsync(keyspace, key, fromOffset, token);
    }

    private async IAsyncEnumerable<ListItem> FollowListCoreAsync(string keyspace, string key, long next, [EnumeratorCancellation] CancellationToken token)
    {
        // The server waits up to 15 s between wake-ups and sends nothing meanwhile: an idle stream is not a dead one.
        var idleTimeout = requestTimeout + TimeSpan.FromSeconds(20);
        var lines = FollowLinesAsync(
            "list-follow",
            keyspace + "/" + key,
            baseUri => new HttpRequestMessage(HttpMethod.Get, ListUri(baseUri, keyspace, key, "follow=true&limit=" + MaxListPageSize.ToString(CultureInfo.InvariantCulture) + "&startOffset=" + next.ToString(CultureInfo.InvariantCulture))),
            idleTimeout,
            () => "offset " + next.ToString(CultureInfo.InvariantCulture),
            null,
            token);
        await foreach (var text in lines.ConfigureAwait(false))
        {
            var item = ToListItem(ContractJson.Read(text.Span, KvDbJsonContext.Default.ListItemJson));
            if (item.Offset < next)
                continue;
            next = item.Offset + 1;
            yield return item;
        }
    }

    private static ListItem ToListItem(ListItemJson item)
        => new(item.Offset, item.Nonce, item.Timestamp, WireJson.ValueBytes(item.Value, item.ValueBase64));

    // Each item as the contract's record: its bytes always in base64, its nonce and time when it has them.
    private static byte[] AppendBody(IEnumerable<ListAppendItem> items)
    {
        var records = new List<ListAppendItemJson?>();
        foreach (var item in items)
        {
            ArgumentNullException.ThrowIfNull(item, nameof(items));
            ArgumentNullException.ThrowIfNull(item.Value, nameof(items));
            if (item.Timestamp is { } at && at.ToUnixTimeMilliseconds() < 0)
                throw new ArgumentOutOfRangeException(nameof(items), at, "An item's timestamp must not be before 1970.");
            records.Add(new ListAppendItemJson { ValueBase64 = item.Value, Nonce = item.Nonce, Timestamp = item.Timestamp?.ToUnixTimeMilliseconds() });
        }

        if (records.Count == 0)
            throw new ArgumentException("An append needs at least one item.", nameof(items));
        return ContractJson.ToUtf8Bytes(new ListAppendRequestJson { Items = records }, KvDbJsonContext.Default.ListAppendRequestJson);
    }

    private static Uri ListUri(Uri baseUri, string keyspace, string key, string? query)
        => new(baseUri.AbsoluteUri + "v1/lists/" + Uri.EscapeDataString(keyspace) + "/" + KeyPaths.Escape(key) + (query is null ? "" : "?" + query),
            new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
}
