// KvClient's reads of the past, from the change history kvdb keeps for watchers (--watch-history):
// a key or a prefix as it was right after a revision (GET /v1/kv...?revision=R), and a key's
// changes, newest first (GET /v1/history/{key}).
// Invariants: a revision the history has forgotten is KvCompactedException (410); a revision
// newer than the cluster has is a KvException (400); a key absent at the revision is null, as
// GetAsync answers a missing key. Pages of a range at one revision are one consistent state.
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using KvDb.Contracts;

namespace KvDb.Client;

public sealed partial class KvClient
{
    /// <summary>Reads <paramref name="key"/> as it was right after <paramref name="revision"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="revision">The revision (0 or more), within the cluster's change history.</param>
    /// <param name="consistency">Linearizable waits for a revision the member has not applied yet; local refuses it.</param>
    /// <param name="token">Cancels the read.</param>
    /// <returns>The entry then (its <see cref="KvEntry.Revision"/> is the revision that wrote it), or null when the key did not exist then.</returns>
    /// <exception cref="KvCompactedException">The history no longer reaches back to <paramref name="revision"/>.</exception>
    /// <exception cref="KvUnavailableException">No member could serve the read in time.</exception>
    /// <exception cref="KvException">kvdb refused the read (400: a revision newer than the cluster's; 403).</exception>
    public ValueTask<KvEntry?> GetAtRevisionAsync(string key, long revision, ReadConsistency consistency = ReadConsistency.Linearizable, CancellationToken token = default)
    {
        KeyPaths.Validate(key);
        ArgumentOutOfRangeException.ThrowIfNegative(revision);
        ThrowIfDisposed();
        var query = "revision=" + revision.ToString(CultureInfo.InvariantCulture) + (ConsistencyQuery(consistency) is { } local ? "&" + local : "");
        return pipeline.SendAsync(
            pipeline.Begin("get"),
            baseUri => new HttpRequestMessage(HttpMethod.Get, KeyPaths.KeyUri(baseUri, key, query)),
            (response, attemptToken) => ReadEntryAsync(response, key, attemptToken),
            token);
    }

    /// <summary>Every key starting with <paramref name="prefix"/> as it was right after <paramref name="revision"/>, in unsigned byte order, a page at a time.</summary>
    /// <param name="prefix">The prefix; empty for every key.</param>
    /// <param name="revision">The revision, within the cluster's change history.</param>
    /// <param name="consistency">Linearizable waits for a revision the member has not applied yet; local refuses it.</param>
    /// <param name="pageSize">Keys per page, 1 to <see cref="MaxPageSize"/>.</param>
    /// <param name="token">Cancels the enumeration.</param>
    /// <remarks>Unlike <see cref="RangeAsync"/>, the pages are one consistent state: the state at a revision does not change.</remarks>
    /// <exception cref="KvCompactedException">The history no longer reaches back to <paramref name="revision"/> (also between pages).</exception>
    /// <exception cref="KvUnavailableException">No member could serve a page in time.</exception>
    /// <exception cref="KvException">kvdb refused the range.</exception>
    public IAsyncEnumerable<KvEntry> RangeAtRevisionAsync(string prefix, long revision, ReadConsistency consistency = ReadConsistency.Linearizable, int pageSize = 100, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfNegative(revision);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSize, MaxPageSize);
        ThrowIfDisposed();
        return RangePagesAtAsync(prefix, revision, consistency, pageSize, token);
    }

    private async IAsyncEnumerable<KvEntry> RangePagesAtAsync(string prefix, long revision, ReadConsistency consistency, int pageSize, [EnumeratorCancellation] CancellationToken token)
    {
        string? continuation = null;
        do
        {
            var page = await ReadRangePageAtRevisionAsync(prefix, revision, continuation, pageSize, consistency, token).ConfigureAwait(false);
            foreach (var entry in page.Items)
                yield return entry;
            continuation = page.Continuation;
        }
        while (continuation is not null);
    }

    /// <summary>Reads one page of the keys starting with <paramref name="prefix"/> as they were right after <paramref name="revision"/>.</summary>
    /// <param name="prefix">The prefix; empty for every key.</param>
    /// <param name="revision">The revision, within the cluster's change history.</param>
    /// <param name="continuation">The previous page's <see cref="KvRangePage.Continuation"/> (of the same revision); null for the first page.</param>
    /// <param name="limit">The most keys to return, 1 to <see cref="MaxPageSize"/>.</param>
    /// <param name="consistency">Linearizable waits for a revision the member has not applied yet; local refuses it.</param>
    /// <param name="token">Cancels the read.</param>
    /// <returns>The page; its <see cref="KvRangePage.Revision"/> is <paramref name="revision"/>.</returns>
    /// <exception cref="KvCompactedException">The history no longer reaches back to <paramref name="revision"/>.</exception>
    /// <exception cref="KvUnavailableException">No member could serve the page in time.</exception>
    /// <exception cref="KvException">kvdb refused the range.</exception>
    public ValueTask<KvRangePage> ReadRangePageAtRevisionAsync(string prefix, long revision, string? continuation = null, int limit = 100, ReadConsistency consistency = ReadConsistency.Linearizable, CancellationToken token = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(revision);
        var path = RangePath(prefix, continuation, limit, consistency) + "&revision=" + revision.ToString(CultureInfo.InvariantCulture);
        ThrowIfDisposed();
        return pipeline.SendAsync(
            pipeline.Begin("range"),
            baseUri => new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, path)),
            async (response, attemptToken) => WireJson.ToRangePage(await ReadOkContractAsync(response, KvDbJsonContext.Default.RangePageJson, attemptToken).ConfigureAwait(false)),
            token);
    }

    /// <summary>A page of <paramref name="key"/>'s changes within the cluster's change history, newest first.</summary>
    /// <param name="key">The key.</param>
    /// <param name="before">Only changes before this revision: the previous page's <see cref="KvHistoryPage.Before"/>; null for the newest.</param>
    /// <param name="limit">Changes per page, 1 to <see cref="MaxPageSize"/> (the changes of one revision are never split, so a page may hold a few more).</param>
    /// <param name="consistency">How fresh the page must be.</param>
    /// <param name="token">Cancels the read.</param>
    /// <returns>The page.</returns>
    /// <exception cref="KvCompactedException">The history has forgotten the changes before <paramref name="before"/>.</exception>
    /// <exception cref="KvUnavailableException">No member could serve the read in time.</exception>
    /// <exception cref="KvException">kvdb refused the read (e.g. 403).</exception>
    public ValueTask<KvHistoryPage> GetHistoryAsync(string key, long? before = null, int limit = 100, ReadConsistency consistency = ReadConsistency.Linearizable, CancellationToken token = default)
    {
        KeyPaths.Validate(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxPageSize);
        ThrowIfDisposed();
        var path = new StringBuilder("v1/history/").Append(KeyPaths.Escape(key)).Append("?limit=").Append(limit.ToString(CultureInfo.InvariantCulture));
        if (before is { } revision)
            path.Append("&before=").Append(revision.ToString(CultureInfo.InvariantCulture));
        if (ConsistencyQuery(consistency) is { } local)
            path.Append('&').Append(local);
        var relative = path.ToString();
        return pipeline.SendAsync(
            pipeline.Begin("history"),
            baseUri => new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri.AbsoluteUri + relative, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true })),
            async (response, attemptToken) => WireJson.ToHistoryPage(await ReadOkContractAsync(response, KvDbJsonContext.Default.KeyHistoryJson, attemptToken).ConfigureAwait(false)),
            token);
    }
}
