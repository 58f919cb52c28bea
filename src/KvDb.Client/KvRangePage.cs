// One page of a range read, as GET /v1/kv answers it.
// Invariants: Items are in unsigned byte order of their keys and come from one point-in-time
// view at Revision; Continuation is null on the last page.

namespace KvDb.Client;

/// <summary>One page of keys of a range or prefix.</summary>
public sealed class KvRangePage
{
    /// <summary>Makes a page.</summary>
    /// <param name="items">The entries, in key order.</param>
    /// <param name="continuation">The token of the next page; null on the last.</param>
    /// <param name="revision">The revision the page was read at.</param>
    public KvRangePage(IReadOnlyList<KvEntry> items, string? continuation, long revision)
    {
        ArgumentNullException.ThrowIfNull(items);
        Items = items;
        Continuation = continuation;
        Revision = revision;
    }

    /// <summary>The entries, in unsigned byte order of their keys.</summary>
    public IReadOnlyList<KvEntry> Items { get; }

    /// <summary>Pass it to read the next page; null when this is the last page.</summary>
    public string? Continuation { get; }

    /// <summary>The revision of the state the page was read from: a watch after it continues exactly where the page left off.</summary>
    public long Revision { get; }
}
