// Turns a merged stream of internal entries into what a reader at one snapshot sees: each
// live user key once, with its newest visible value, within [start, end).
// Invariants:
//  - Entries newer than the snapshot sequence are invisible (this is what makes a batch
//    appear atomically and views immune to later writes).
//  - For each user key only the first visible entry counts; if it is a tombstone the key
//    is skipped, and older versions are never resurrected.
namespace KvDb.Core.Storage;

internal sealed class UserIterator(InternalIterator source, ulong snapshot, byte[]? endExclusive) : IDisposable
{
    private readonly GrowableBuffer userKey = new(64);
    private bool hasUserKey;
    private bool positioned;
    private bool onEntry;
    private bool finished;

    /// <summary>The current user key; valid until the next move.</summary>
    public ReadOnlySpan<byte> Key => userKey.WrittenSpan;

    /// <summary>The current value; valid until the next move.</summary>
    public ReadOnlySpan<byte> Value => source.Value;

    public void Seek(ReadOnlySpan<byte> startInclusive)
    {
        var target = InternalKey.Create(startInclusive, snapshot, InternalKey.SeekKind);
        source.Seek(target);
        Positioned();
    }

    public void SeekToFirst()
    {
        source.SeekToFirst();
        Positioned();
    }

    /// <summary>Moves to the next live key; false at the end of the range.</summary>
    public bool MoveNext()
    {
        if (!positioned)
            SeekToFirst();
        if (finished)
            return false;
        if (onEntry)
            source.Next();
        onEntry = false;
        for (; source.Valid; source.Next())
        {
            var key = source.Key;
            var user = InternalKey.UserKey(key);
            if (endExclusive is not null && user.SequenceCompareTo(endExclusive) >= 0)
                break;
            if (InternalKey.Sequence(key) > snapshot || (hasUserKey && user.SequenceEqual(userKey.WrittenSpan)))
                continue;
            userKey.Clear();
            userKey.Append(user);
            hasUserKey = true;
            if (InternalKey.Kind(key) == EntryKind.Put)
                return onEntry = true;
        }

        finished = true;
        return false;
    }

    private void Positioned()
    {
        hasUserKey = onEntry = finished = false;
        positioned = true;
    }

    public void Dispose() => source.Dispose();
}
