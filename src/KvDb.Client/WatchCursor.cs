// Where a watch stands, so that it can resume on another member with no gap and no duplicate.
// Invariants:
//  - Every matching change with a revision <= Completed has been yielded; resuming with
//    after=Completed misses nothing.
//  - The changes of one revision (one Raft entry) may be cut by a lost connection: the keys
//    already yielded at the newest revision are remembered, and when that revision is sent
//    again after a resume, those keys are skipped (a key changes at most once per revision).
//  - A progress mark at R completes every revision up to R.

namespace KvDb.Client;

/// <summary>A watch's position.</summary>
internal sealed class WatchCursor(long after)
{
    private readonly HashSet<string> keysAtCurrent = new(StringComparer.Ordinal);
    private long current;

    /// <summary>Every matching change up to this revision has been yielded: resume after it.</summary>
    public long Completed { get; private set; } = after;

    /// <summary>Takes a change; false when it was yielded already (it must be skipped).</summary>
    public bool Accept(long revision, string key)
    {
        if (revision <= Completed)
            return false;
        if (revision == current)
            return keysAtCurrent.Add(key);

        // A newer revision: everything before it has arrived (events come in revision order),
        // but this one may still be cut short.
        Completed = revision - 1;
        current = revision;
        keysAtCurrent.Clear();
        keysAtCurrent.Add(key);
        return true;
    }

    /// <summary>Takes a progress mark; false when it goes back (it must be skipped).</summary>
    public bool Progress(long revision)
    {
        if (revision < Completed)
            return false;
        Completed = revision;
        if (current <= revision)
        {
            current = 0;
            keysAtCurrent.Clear();
        }

        return true;
    }
}
