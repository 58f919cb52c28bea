// The PastRangeUndo of the ranges lately read at a past revision, so that the pages after the
// first of GET /v1/kv?prefix=P&revision=R cost what they return (plus the records written since
// the previous page) instead of a scan of every history record after R each.
// Invariants:
//  - Entries are keyed by (R, range start, range end), never by a page's first key: every page
//    of one range shares one entry, whatever its continuation.
//  - An entry handed out is always extended to the caller's view first (PastRangeUndo.ExtendedTo),
//    so a page merges the view's keys with exactly the changes after R up to the view's index;
//    a view older than the entry builds its own and leaves the entry alone.
//  - Bounded: at most Capacity entries and MaxBytes of keys and values held, least recently used
//    out first; an undo larger than MaxBytes is used once and not kept.
using KvDb.Core.State;

namespace KvDb.Core.Watch;

/// <summary>Keeps what reading a range at a past revision undoes, across the range's pages.</summary>
/// <param name="capacity">The most ranges kept.</param>
/// <param name="maxBytes">The most bytes of keys and values kept, over all ranges.</param>
public sealed class PastRangeCache(int capacity = 16, long maxBytes = 64L << 20)
{
    private readonly Lock gate = new();
    private readonly LinkedList<PastRangeUndo> recent = [];
    private long bytes;

    /// <summary>The most ranges kept.</summary>
    public int Capacity { get; } = capacity;

    /// <summary>The most bytes kept.</summary>
    public long MaxBytes { get; } = maxBytes;

    /// <summary>How many ranges are kept now.</summary>
    public int Count
    {
        get
        {
            lock (gate)
                return recent.Count;
        }
    }

    /// <summary>
    /// What reading [<paramref name="start"/>, <paramref name="end"/>) at <paramref name="revision"/>
    /// undoes, up to <paramref name="view"/>'s index, for <see cref="PastState.Page"/>.
    /// <paramref name="recordsRead"/> counts the history records decoded for it (0 when nothing
    /// was written since the previous page).
    /// </summary>
    public PastRangeUndo Get(IKeyValueView view, long revision, byte[] start, byte[]? end, byte[]? prefix, out int recordsRead)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(start);
        var kept = Find(revision, start, end);
        if (kept?.ExtendedTo(view, out recordsRead) is { } extended)
        {
            if (!ReferenceEquals(extended, kept))
                Keep(extended);
            return extended;
        }

        var built = PastRangeUndo.Build(view, revision, start, end, prefix, out recordsRead);
        if (kept is null)
            Keep(built);
        return built;
    }

    private PastRangeUndo? Find(long revision, byte[] start, byte[]? end)
    {
        lock (gate)
        {
            for (var node = recent.First; node is not null; node = node.Next)
            {
                if (node.Value.Covers(revision, start, end))
                {
                    recent.Remove(node);
                    recent.AddFirst(node);
                    return node.Value;
                }
            }

            return null;
        }
    }

    // Keeps `undo` in place of an older entry of its range (a newer one stays).
    private void Keep(PastRangeUndo undo)
    {
        if (undo.ApproximateBytes > MaxBytes)
            return;
        lock (gate)
        {
            for (var node = recent.First; node is not null; node = node.Next)
            {
                if (node.Value.Covers(undo.Revision, undo.Start, undo.End))
                {
                    if (node.Value.Through >= undo.Through)
                        return;
                    bytes -= node.Value.ApproximateBytes;
                    recent.Remove(node);
                    break;
                }
            }

            recent.AddFirst(undo);
            bytes += undo.ApproximateBytes;
            while (recent.Count > Capacity || bytes > MaxBytes)
            {
                bytes -= recent.Last!.Value.ApproximateBytes;
                recent.RemoveLast();
            }
        }
    }
}
