// Reads pages of a list from a point-in-time view: forward or backward, from an offset, a
// timestamp or a nonce, at most a limit of items, with a continuation that pages on.
// Invariants:
//  - Seeking by timestamp or nonce is a binary search over the offsets (both grow with the
//    offset), O(log n) point reads; then the page is one ordered scan.
//  - The continuation names the next offset to read in the page's direction; reading it gives
//    the same items whatever was appended since (offsets never change), and it is null when the
//    page reached the end of the list as it was in the view.
using KvDb.Core.State;

namespace KvDb.Core.Lists;

/// <summary>Where a page starts.</summary>
public enum ListSeek
{
    /// <summary>At the first (forward) or last (backward) item.</summary>
    Edge,

    /// <summary>At an offset.</summary>
    Offset,

    /// <summary>At the first item at or after (forward), or the last at or before (backward), a timestamp.</summary>
    Timestamp,

    /// <summary>As timestamps, by nonce.</summary>
    Nonce,
}

/// <summary>One page of a list.</summary>
/// <param name="Items">The items in the page's order.</param>
/// <param name="Next">The offset the next page starts at, or null at the end.</param>
/// <param name="Meta">The list's metadata in the view, or null when the list does not exist.</param>
public sealed record ListPage(IReadOnlyList<ListItem> Items, long? Next, ListMeta? Meta);

/// <summary>Reads lists.</summary>
public static class ListReader
{
    /// <summary>The list's metadata, or null when it does not exist.</summary>
    public static ListMeta? Meta(IKeyValueView view, string keyspace, byte[] key)
        => view.TryGet(ListStore.MetaKey(keyspace, key), out var bytes) && bytes is not null ? ListStore.DecodeMeta(bytes) : null;

    /// <summary>Whether keyspace <paramref name="keyspace"/> exists, and its record.</summary>
    public static KeyspaceInfo? Keyspace(IKeyValueView view, string keyspace)
        => view.TryGet(ListStore.KeyspaceKey(keyspace), out var bytes) && bytes is not null ? ListStore.DecodeKeyspace(bytes) : null;

    /// <summary>Reads a page.</summary>
    /// <param name="view">The state to read.</param>
    /// <param name="keyspace">The keyspace.</param>
    /// <param name="key">The list's key.</param>
    /// <param name="forward">Oldest first (true) or newest first.</param>
    /// <param name="limit">The most items.</param>
    /// <param name="seek">How <paramref name="at"/> is read.</param>
    /// <param name="at">The offset or timestamp to start at.</param>
    /// <param name="nonce">The nonce to start at (16 bytes, big-endian), for <see cref="ListSeek.Nonce"/>.</param>
    public static ListPage Read(IKeyValueView view, string keyspace, byte[] key, bool forward, int limit, ListSeek seek, long at = 0, byte[]? nonce = null)
    {
        if (Meta(view, keyspace, key) is not { } meta || meta.Count == 0)
            return new ListPage([], null, Meta(view, keyspace, key));

        var prefix = ListStore.ItemPrefix(keyspace, key);
        var start = seek switch
        {
            ListSeek.Edge => forward ? meta.FirstOffset : meta.NextOffset - 1,
            ListSeek.Offset => at,
            ListSeek.Timestamp => Search(view, prefix, meta, forward, item => item.TimestampMs.CompareTo(at)),
            _ => Search(view, prefix, meta, forward, item => item.Nonce is null ? -1 : item.Nonce.AsSpan().SequenceCompareTo(nonce)),
        };

        var items = new List<ListItem>();
        var offset = start;
        for (; items.Count < limit && offset >= meta.FirstOffset && offset < meta.NextOffset; offset += forward ? 1 : -1)
        {
            if (view.TryGet(ListStore.ItemKey(prefix, offset), out var bytes) && bytes is not null)
                items.Add(ListStore.DecodeItem(offset, bytes));
        }

        var more = offset >= meta.FirstOffset && offset < meta.NextOffset;
        return new ListPage(items, more ? offset : null, meta);
    }

    // Forward: the first offset whose item compares >= 0 with the target (NextOffset if none).
    // Backward: the last offset whose item compares <= 0 (FirstOffset - 1 if none).
    private static long Search(IKeyValueView view, byte[] prefix, ListMeta meta, bool forward, Func<ListItem, int> compare)
    {
        long low = meta.FirstOffset, high = meta.NextOffset;
        while (low < high)
        {
            var middle = low + ((high - low) / 2);
            var item = view.TryGet(ListStore.ItemKey(prefix, middle), out var bytes) && bytes is not null ? ListStore.DecodeItem(middle, bytes) : null;
            var order = item is null ? -1 : compare(item);
            if (forward ? order < 0 : order <= 0)
                low = middle + 1;
            else
                high = middle;
        }

        return forward ? low : low - 1;
    }
}
