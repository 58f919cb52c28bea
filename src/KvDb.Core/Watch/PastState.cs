// The user keys as they were right after a past revision, and one key's changes, computed from
// the change history (ChangeHistory) and the current state of one view.
// Invariants:
//  - Everything is read from the one view given: its user keys are the state at view.Index and
//    its history holds every change in (compacted revision, view.Index], written in the same
//    batches as the state (ChangeHistory's invariants). So for compacted <= R <= view.Index the
//    state at R is the current state with the changes after R undone: a key changed after R
//    held, at R, what its first change after R replaced (Previous), or nothing when that change
//    replaced nothing; a key not changed after R is as it is now. Callers check R first.
//  - The value at R keeps the revision that wrote it (PreviousRevision), so ETags and
//    compare-and-swap revisions read at R mean what they meant at R.
//  - Cost: a key whose current value was written at or before R costs one read. A key rewritten
//    since costs one record read per rewrite back to R, while each replaced value existed;
//    where the key was absent, a scan of the records from R to that point. A range at R scans
//    every record after R once (PastRangeUndo); its later pages, through PastRangeCache, cost
//    the keys they return plus the records written since the previous page. A key's history
//    scans the records of the window up to `before`.
//    Scans for one key or a prefix skip a record without decoding it when its bytes do not
//    contain the key's (a record stores keys as raw bytes), which most records do not.
using System.Runtime.CompilerServices;
using KvDb.Core.Commands;
using KvDb.Core.State;

namespace KvDb.Core.Watch;

/// <summary>A key's value at a past revision.</summary>
/// <param name="Kind">Raw bytes or a typed value.</param>
/// <param name="Revision">The revision that wrote the value (at or before the revision read at).</param>
/// <param name="Payload">The value's bytes.</param>
public readonly record struct PastValue(ValueKind Kind, long Revision, ReadOnlyMemory<byte> Payload);

/// <summary>One change of one key, as its history lists it.</summary>
/// <param name="Revision">The revision (log index) of the entry that made it.</param>
/// <param name="ProposedAtUnixMs">When that entry was proposed (Unix ms, the leader's clock).</param>
/// <param name="Change">The change.</param>
public readonly record struct KeyChange(long Revision, long ProposedAtUnixMs, ChangeEvent Change);

/// <summary>Reads past states of user keys from a view's change history.</summary>
public static class PastState
{
    /// <summary>
    /// <paramref name="key"/> as it was right after <paramref name="revision"/>, or null when it did not exist then.
    /// <paramref name="recordsRead"/> counts the history records decoded.
    /// </summary>
    public static PastValue? Get(IKeyValueView view, byte[] key, long revision, out int recordsRead)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(key);
        recordsRead = 0;
        var upper = view.Index + 1;
        if (view.TryGet(StoreKeys.ForUser(key), out var record) && record is not null)
        {
            var current = UserRecord.Revision(record);
            if (current <= revision)
                return new PastValue(UserRecord.Kind(record), current, UserRecord.Payload(record));

            // Back along the values each write replaced, while there was one: the value written
            // at P held until the next write of the key, which recorded P as what it replaced.
            var at = current;
            while (true)
            {
                recordsRead++;
                if (FirstChangeOf(ChangeHistory.At(view, at), key) is not { } change || change.Previous is null)
                {
                    // Created at `at` (absent just before): what happened between R and then is
                    // only in the records in between.
                    upper = at;
                    break;
                }

                if (change.PreviousRevision <= revision)
                    return new PastValue(change.PreviousKind, change.PreviousRevision, change.Previous);
                at = change.PreviousRevision;
            }
        }

        // The key is absent just before `upper`: its first change after R, if any, replaced what it held at R.
        var decoded = new StrongBox<int>();
        var first = ChangesOf(view, key, revision, upper, decoded).Select(static found => found.Change).FirstOrDefault();
        recordsRead += decoded.Value;
        return first is null ? null : Before(first);
    }

    /// <summary>
    /// The user keys in [<paramref name="start"/>, <paramref name="end"/>) (null: to the last key)
    /// as they were right after <paramref name="revision"/>, in unsigned byte order, read lazily.
    /// </summary>
    /// <param name="view">The view.</param>
    /// <param name="revision">The revision.</param>
    /// <param name="start">The first key (inclusive).</param>
    /// <param name="end">The end (exclusive), or null.</param>
    /// <param name="prefix">A prefix every key of the range has (lets the scan skip records without it), or null.</param>
    /// <param name="recordsRead">Set to the history records decoded once the history is scanned (before the first key).</param>
    public static IEnumerable<(byte[] Key, PastValue Value)> Range(IKeyValueView view, long revision, byte[] start, byte[]? end, byte[]? prefix, StrongBox<int>? recordsRead = null)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(start);
        var undo = PastRangeUndo.Build(view, revision, start, end, prefix, out var decoded);
        if (recordsRead is not null)
            recordsRead.Value = decoded;
        return Page(view, undo, start);
    }

    /// <summary>
    /// The keys of <paramref name="undo"/>'s range from <paramref name="from"/> on, as they were
    /// right after its revision, in key order, read lazily: the view's keys from there with the
    /// changes after the revision undone. Costs the keys returned (and the changed keys among
    /// them), whatever <paramref name="from"/> is.
    /// </summary>
    /// <param name="view">The view <paramref name="undo"/> was built or extended to (<see cref="PastRangeUndo.Through"/> is its index).</param>
    /// <param name="undo">The changes after the revision (PastRangeUndo.Build, or PastRangeCache.Get).</param>
    /// <param name="from">The first key (the range's start, or past a page's last key).</param>
    public static IEnumerable<(byte[] Key, PastValue Value)> Page(IKeyValueView view, PastRangeUndo undo, byte[] from)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(undo);
        ArgumentNullException.ThrowIfNull(from);
        if (undo.Through < view.Index)
            throw new ArgumentException($"The undo reaches revision {undo.Through}, the view {view.Index}: extend it to the view first.", nameof(undo));
        return Merge(view, from, undo);
    }

    private static IEnumerable<(byte[] Key, PastValue Value)> Merge(IKeyValueView view, byte[] from, PastRangeUndo undo)
    {
        var next = undo.LowerBound(from);
        var end = undo.End;
        foreach (var (storedKey, record) in view.Scan(StoreKeys.ForUser(from), end is null ? StoreKeys.End(StoreKeys.User) : StoreKeys.ForUser(end)))
        {
            var key = storedKey[1..];

            // Keys changed after R that are absent now, before this one.
            for (; next < undo.Count && KeyOrder.Compare(undo.KeyAt(next), key) < 0; next++)
            {
                if (Before(undo.ChangeAt(next)) is { } gone)
                    yield return (undo.KeyAt(next), gone);
            }

            if (next < undo.Count && KeyOrder.Compare(undo.KeyAt(next), key) == 0)
            {
                if (Before(undo.ChangeAt(next++)) is { } then)
                    yield return (key, then);
                continue;
            }

            // Not changed after R: written at or before it, as it is now.
            yield return (key, new PastValue(UserRecord.Kind(record), UserRecord.Revision(record), UserRecord.Payload(record)));
        }

        for (; next < undo.Count; next++)
        {
            if (Before(undo.ChangeAt(next)) is { } gone)
                yield return (undo.KeyAt(next), gone);
        }
    }

    /// <summary>
    /// A page of <paramref name="key"/>'s changes, newest first: those before revision
    /// <paramref name="before"/>, at least <paramref name="limit"/> of them when there are, and
    /// never part of one revision's changes (a page ends between revisions).
    /// </summary>
    /// <param name="view">The view.</param>
    /// <param name="key">The key.</param>
    /// <param name="before">Only changes at revisions below this (view.Index + 1 for the newest).</param>
    /// <param name="limit">About how many changes (a revision's changes are not split).</param>
    /// <param name="more">True when older changes remain in the history.</param>
    /// <param name="recordsRead">The history records decoded.</param>
    public static List<KeyChange> History(IKeyValueView view, byte[] key, long before, int limit, out bool more, out int recordsRead)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);

        // Oldest first, as the store iterates; the oldest are dropped while the rest still fill a page.
        var kept = new LinkedList<List<KeyChange>>();
        var count = 0;
        more = false;
        var decoded = new StrongBox<int>();
        List<KeyChange>? group = null;
        foreach (var change in ChangesOf(view, key, ChangeHistory.CompactedRevision(view), long.Min(before, view.Index + 1), decoded))
        {
            if (group is null || group[0].Revision != change.Revision)
            {
                group = [];
                kept.AddLast(group);
            }

            group.Add(change);
            count++;
            while (count - kept.First!.Value.Count >= limit)
            {
                count -= kept.First.Value.Count;
                kept.RemoveFirst();
                more = true;
            }
        }

        recordsRead = decoded.Value;
        var page = new List<KeyChange>(count);
        for (var node = kept.Last; node is not null; node = node.Previous)
        {
            for (var i = node.Value.Count - 1; i >= 0; i--)
                page.Add(node.Value[i]);
        }

        return page;
    }

    // The changes of `key` in the records after `after` and before `before`, in order; `decoded`
    // counts the records decoded (those whose bytes contain the key's).
    private static IEnumerable<KeyChange> ChangesOf(IKeyValueView view, byte[] key, long after, long before, StrongBox<int> decoded)
    {
        if (before <= after + 1)
            yield break;
        foreach (var (storedKey, stored) in view.Scan(ChangeHistory.KeyOf(after + 1), ChangeHistory.KeyOf(before)))
        {
            if (stored.AsSpan().IndexOf(key) < 0)
                continue;
            decoded.Value++;
            var record = ChangeHistory.Decode(stored);
            var revision = ChangeHistory.RevisionOf(storedKey);
            foreach (var change in record.Events)
            {
                if (change.Key.AsSpan().SequenceEqual(key))
                    yield return new KeyChange(revision, record.ProposedAtUnixMs, change);
            }
        }
    }

    private static ChangeEvent? FirstChangeOf(ChangeRecord? record, byte[] key)
        => record?.Events.FirstOrDefault(change => change.Key.AsSpan().SequenceEqual(key));

    private static PastValue? Before(ChangeEvent change)
        => change.Previous is null ? null : new PastValue(change.PreviousKind, change.PreviousRevision, change.Previous);

    private static readonly Comparer<byte[]> KeyOrder = Comparer<byte[]>.Create(static (a, b) => a.AsSpan().SequenceCompareTo(b));
}
