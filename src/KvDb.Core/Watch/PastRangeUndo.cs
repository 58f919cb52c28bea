// What reading a range at a past revision R undoes: the first change after R of each key of the
// range, sorted by key, from the change history records (R, Through]. A page of the range at R
// is the current keys from the page's first key with these changes undone (PastState.Page), so
// a page starts with a binary search here and costs what it returns, instead of scanning every
// record after R again.
// Invariants:
//  - Immutable. Built once from the records (R, view.Index]; a later view extends it with only
//    the records after Through (ExtendedTo), keeping each key's earliest change, so it always
//    holds, for its range, exactly the first change after R of each key changed in
//    (R, Through] — the same as a fresh build from that view. Records of a revision never
//    change (written once, forgotten only below the compacted revision, which callers check).
//  - A view older than Through cannot use it (its state lacks changes it would undo): build anew.
using KvDb.Core.State;

namespace KvDb.Core.Watch;

/// <summary>The first change after a revision of each key of a range, to read the range as it was then.</summary>
public sealed class PastRangeUndo
{
    private static readonly Comparer<byte[]> KeyOrder = Comparer<byte[]>.Create(static (a, b) => a.AsSpan().SequenceCompareTo(b));

    private readonly byte[][] keys;
    private readonly ChangeEvent[] changes;

    private PastRangeUndo(long revision, byte[] start, byte[]? end, byte[]? prefix, long through, byte[][] keys, ChangeEvent[] changes)
    {
        Revision = revision;
        Start = start;
        End = end;
        Prefix = prefix;
        Through = through;
        this.keys = keys;
        this.changes = changes;
        ApproximateBytes = 64 + keys.Sum(static k => 48 + k.Length) + changes.Sum(static c => 64 + (c.Previous?.Length ?? 0) + (c.Value?.Length ?? 0));
    }

    /// <summary>The revision read at (R).</summary>
    public long Revision { get; }

    /// <summary>The range's first key (inclusive).</summary>
    public byte[] Start { get; }

    /// <summary>The range's end (exclusive), or null for the last key.</summary>
    public byte[]? End { get; }

    /// <summary>A prefix every key of the range has, or null.</summary>
    public byte[]? Prefix { get; }

    /// <summary>The newest revision whose record it includes.</summary>
    public long Through { get; }

    /// <summary>How many keys changed after <see cref="Revision"/> (up to <see cref="Through"/>).</summary>
    public int Count => keys.Length;

    /// <summary>About how many bytes it holds on to (keys and the values it refers to).</summary>
    public long ApproximateBytes { get; }

    /// <summary>The changes of the records after <paramref name="revision"/> in <paramref name="view"/>, for the keys of [<paramref name="start"/>, <paramref name="end"/>).</summary>
    /// <param name="view">The view; its history must reach back to <paramref name="revision"/> (callers check the compacted revision).</param>
    /// <param name="revision">The revision read at.</param>
    /// <param name="start">The range's first key.</param>
    /// <param name="end">The range's end, or null.</param>
    /// <param name="prefix">A prefix every key of the range has (lets the scan skip records without it), or null.</param>
    /// <param name="recordsRead">The history records decoded.</param>
    public static PastRangeUndo Build(IKeyValueView view, long revision, byte[] start, byte[]? end, byte[]? prefix, out int recordsRead)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(start);
        var first = new SortedDictionary<byte[], ChangeEvent>(KeyOrder);
        recordsRead = Collect(view, revision, view.Index, start, end, prefix, first);
        return new PastRangeUndo(revision, start, end, prefix, long.Max(revision, view.Index), [.. first.Keys], [.. first.Values]);
    }

    /// <summary>
    /// This, with the records after <see cref="Through"/> up to <paramref name="view"/>'s index
    /// added (itself when there are none, or none touches the range); null when the view is older
    /// than <see cref="Through"/> and cannot use it.
    /// </summary>
    public PastRangeUndo? ExtendedTo(IKeyValueView view, out int recordsRead)
    {
        ArgumentNullException.ThrowIfNull(view);
        recordsRead = 0;
        if (view.Index < Through)
            return null;
        if (view.Index == Through)
            return this;

        var later = new SortedDictionary<byte[], ChangeEvent>(KeyOrder);
        recordsRead = Collect(view, Through, view.Index, Start, End, Prefix, later);
        var added = later.Where(pair => !Contains(pair.Key)).ToList(); // an earlier change of a key stays its first
        if (added.Count == 0)
            return new PastRangeUndo(Revision, Start, End, Prefix, view.Index, keys, changes);

        // Two sorted runs merged: a page costs the records since the last one, plus this copy.
        var mergedKeys = new byte[keys.Length + added.Count][];
        var mergedChanges = new ChangeEvent[mergedKeys.Length];
        for (int i = 0, j = 0, k = 0; k < mergedKeys.Length; k++)
        {
            if (j == added.Count || (i < keys.Length && KeyOrder.Compare(keys[i], added[j].Key) < 0))
                (mergedKeys[k], mergedChanges[k]) = (keys[i], changes[i++]);
            else
                (mergedKeys[k], mergedChanges[k]) = (added[j].Key, added[j++].Value);
        }

        return new PastRangeUndo(Revision, Start, End, Prefix, view.Index, mergedKeys, mergedChanges);
    }

    /// <summary>Whether this covers exactly the range [<paramref name="start"/>, <paramref name="end"/>) at <paramref name="revision"/>.</summary>
    public bool Covers(long revision, byte[] start, byte[]? end)
        => revision == Revision && start.AsSpan().SequenceEqual(Start)
           && (end is null ? End is null : End is not null && end.AsSpan().SequenceEqual(End));

    /// <summary>The position of the first key at or after <paramref name="key"/>.</summary>
    internal int LowerBound(byte[] key)
    {
        int low = 0, high = keys.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (KeyOrder.Compare(keys[middle], key) < 0)
                low = middle + 1;
            else
                high = middle;
        }

        return low;
    }

    internal byte[] KeyAt(int position) => keys[position];

    private bool Contains(byte[] key)
    {
        var position = LowerBound(key);
        return position < keys.Length && KeyOrder.Compare(keys[position], key) == 0;
    }

    internal ChangeEvent ChangeAt(int position) => changes[position];

    // Adds the first change of each key of the range in the records (after, to] that `first`
    // does not hold yet; returns the records decoded (those whose bytes contain the prefix).
    private static int Collect(IKeyValueView view, long after, long to, byte[] start, byte[]? end, byte[]? prefix, SortedDictionary<byte[], ChangeEvent> first)
    {
        if (to <= after)
            return 0;
        var decoded = 0;
        foreach (var (_, stored) in view.Scan(ChangeHistory.KeyOf(after + 1), ChangeHistory.KeyOf(to + 1)))
        {
            if (prefix is { Length: > 0 } && stored.AsSpan().IndexOf(prefix) < 0)
                continue;
            decoded++;
            foreach (var change in ChangeHistory.Decode(stored).Events)
            {
                if (change.Key.AsSpan().SequenceCompareTo(start) >= 0 && (end is null || change.Key.AsSpan().SequenceCompareTo(end) < 0))
                    first.TryAdd(change.Key, change);
            }
        }

        return decoded;
    }
}
