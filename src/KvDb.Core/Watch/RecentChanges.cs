// The newest change records, decoded once and kept in memory, so watchers that keep up with the
// log read them from here instead of each scanning and decoding the history in the store.
// Invariants:
//  - Covers the revisions [From, Through]: every record the store's history holds in that range
//    is here, in revision order; a revision in it without a record changed no user key.
//  - Through is the last applied entry this member has told it about; it is set before the
//    state machine publishes its applied index, so a reader that saw an applied index of N
//    finds everything up to N here (or learns that From has moved past it).
//  - Holds at most MaxRecords records and about MaxBytes of keys and values (a share of the
//    member's --memory-budget: with large values this tail is the member's largest single use
//    of memory outside the storage engine). The oldest go first, and From moves up with them.
//    Records at or below the compacted revision go too, so nothing is served here that the
//    store's history has forgotten.
//  - One writer (the applier), any number of readers; records are immutable once added.

namespace KvDb.Core.Watch;

/// <summary>An in-memory tail of the change history.</summary>
public sealed class RecentChanges
{
    /// <summary>The most records kept.</summary>
    public const int MaxRecords = 16_384;

    /// <summary>The byte limit when none is given.</summary>
    public const long DefaultMaxBytes = 8L << 20;

    private readonly Lock gate = new();
    private readonly (long Revision, ChangeRecord Record, long Bytes)[] ring = new (long, ChangeRecord, long)[MaxRecords];
    private int head;
    private int count;
    private long from = 1;
    private long through;
    private long compacted;
    private long bytes;

    /// <summary>A tail that starts empty after <paramref name="appliedIndex"/>, with the store's <paramref name="compactedRevision"/>, holding about <paramref name="maxBytes"/> of keys and values.</summary>
    public RecentChanges(long appliedIndex, long compactedRevision, long maxBytes = DefaultMaxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        MaxBytes = maxBytes;
        Reset(appliedIndex, compactedRevision);
    }

    /// <summary>About how many bytes of keys and values are kept at most.</summary>
    public long MaxBytes { get; }

    /// <summary>The first revision covered.</summary>
    public long From
    {
        get { lock (gate) return from; }
    }

    /// <summary>The last revision covered (the last applied entry reported).</summary>
    public long Through => Volatile.Read(ref through);

    /// <summary>The highest revision the history has forgotten.</summary>
    public long Compacted => Volatile.Read(ref compacted);

    /// <summary>How many records are held.</summary>
    public int Count
    {
        get { lock (gate) return count; }
    }

    /// <summary>Forgets everything and covers nothing up to <paramref name="appliedIndex"/> (after a snapshot install).</summary>
    public void Reset(long appliedIndex, long compactedRevision)
    {
        lock (gate)
        {
            Array.Clear(ring);
            head = 0;
            count = 0;
            bytes = 0;
            from = appliedIndex + 1;
            Volatile.Write(ref compacted, compactedRevision);
            Volatile.Write(ref through, appliedIndex);
        }
    }

    /// <summary>Adds the entry at <paramref name="revision"/>: its <paramref name="record"/> (null when it changed no key) and the history's compacted revision after it.</summary>
    public void Add(long revision, ChangeRecord? record, long compactedRevision)
    {
        lock (gate)
        {
            if (revision <= through)
                return;
            Volatile.Write(ref compacted, long.Max(compacted, compactedRevision));
            if (record is not null)
            {
                if (count == MaxRecords)
                    DropOldest();
                var size = SizeOf(record);
                ring[(head + count) % MaxRecords] = (revision, record, size);
                count++;
                bytes += size;
            }

            while (count > 0 && (bytes > MaxBytes || ring[head].Revision <= compacted))
                DropOldest();

            from = long.Max(from, compacted + 1);
            Volatile.Write(ref through, revision);
        }
    }

    /// <summary>
    /// Appends the records after <paramref name="afterRevision"/> up to <paramref name="upTo"/> to
    /// <paramref name="into"/>; false (and nothing appended) when the tail no longer covers
    /// <paramref name="afterRevision"/> + 1.
    /// </summary>
    /// <param name="afterRevision">The last revision the reader has.</param>
    /// <param name="upTo">The last revision wanted.</param>
    /// <param name="into">Where the records go, in revision order.</param>
    /// <param name="covered">The last revision the answer covers: <see cref="Through"/> capped by <paramref name="upTo"/>.</param>
    public bool TryRead(long afterRevision, long upTo, List<(long Revision, ChangeRecord Record)> into, out long covered)
    {
        lock (gate)
        {
            covered = long.Min(through, upTo);
            if (afterRevision + 1 < from)
                return false;
            for (var i = FirstAfter(afterRevision); i < count; i++)
            {
                var (revision, record, _) = ring[(head + i) % MaxRecords];
                if (revision > covered)
                    break;
                into.Add((revision, record));
            }

            return true;
        }
    }

    private void DropOldest()
    {
        ref var oldest = ref ring[head];
        bytes -= oldest.Bytes;
        from = oldest.Revision + 1;
        oldest = default;
        head = (head + 1) % MaxRecords;
        count--;
    }

    // The position (from the oldest) of the first record after the revision: a binary search,
    // since revisions only grow along the ring.
    private int FirstAfter(long revision)
    {
        int low = 0, high = count;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (ring[(head + middle) % MaxRecords].Revision <= revision)
                low = middle + 1;
            else
                high = middle;
        }

        return low;
    }

    private static long SizeOf(ChangeRecord record)
    {
        long size = 64;
        foreach (var change in record.Events)
            size += 64 + change.Key.Length + (change.Value?.Length ?? 0) + (change.Previous?.Length ?? 0);
        return size;
    }
}
