// A least-recently-used cache of table blocks (data, index and filter) with a byte budget.
// Invariants:
//  - Usage (the sum of the charges of cached entries) never exceeds Capacity once an insert
//    returns: the least recently used entries are evicted first. An entry bigger than the
//    whole capacity is not cached at all.
//  - Entries are keyed by (table cache id, block offset). Cache ids are never reused, so a
//    table that was deleted and replaced can never be served another table's block; stale
//    entries simply age out.
//  - Cached objects are immutable and shared; evicting one never invalidates a reader that
//    still holds it.
//  - All members are thread-safe (one short lock; lookups only relink a node).
namespace KvDb.Core.Storage;

internal sealed class BlockCache(long capacity)
{
    private readonly Lock gate = new();
    private readonly Dictionary<(long CacheId, long Offset), Entry> entries = [];
    private readonly Entry lru = Entry.CreateSentinel();
    private long usage;
    private long hits;
    private long misses;
    private long evictions;

    public long Capacity => capacity;

    public long Usage
    {
        get
        {
            lock (gate)
                return usage;
        }
    }

    public long Hits => Interlocked.Read(ref hits);

    public long Misses => Interlocked.Read(ref misses);

    public long Evictions => Interlocked.Read(ref evictions);

    public int Count
    {
        get
        {
            lock (gate)
                return entries.Count;
        }
    }

    public bool TryGet(long cacheId, long offset, out object? value)
    {
        lock (gate)
        {
            if (entries.TryGetValue((cacheId, offset), out var entry))
            {
                MoveToFront(entry);
                hits++;
                value = entry.Value;
                return true;
            }

            misses++;
        }

        value = null;
        return false;
    }

    public void Insert(long cacheId, long offset, object value, long charge)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(charge);
        if (charge > capacity)
            return;
        lock (gate)
        {
            if (entries.Remove((cacheId, offset), out var old))
                Unlink(old);
            var entry = new Entry((cacheId, offset), value, charge);
            entries.Add(entry.Key, entry);
            MoveToFront(entry);
            usage += charge;
            while (usage > capacity)
                Evict(lru.Previous!);
        }
    }

    public void Clear()
    {
        lock (gate)
        {
            entries.Clear();
            lru.Next = lru.Previous = lru;
            usage = 0;
        }
    }

    private void Evict(Entry entry)
    {
        entries.Remove(entry.Key);
        Unlink(entry);
        evictions++;
    }

    private void Unlink(Entry entry)
    {
        if (entry.Next is null)
            return;
        entry.Previous!.Next = entry.Next;
        entry.Next.Previous = entry.Previous;
        entry.Next = entry.Previous = null;
        usage -= entry.Charge;
    }

    private void MoveToFront(Entry entry)
    {
        if (entry.Next is not null)
        {
            entry.Previous!.Next = entry.Next;
            entry.Next.Previous = entry.Previous;
        }

        entry.Next = lru.Next;
        entry.Previous = lru;
        lru.Next!.Previous = entry;
        lru.Next = entry;
    }

    private sealed class Entry((long CacheId, long Offset) key, object value, long charge)
    {
        public (long CacheId, long Offset) Key { get; } = key;

        public object Value { get; } = value;

        public long Charge { get; } = charge;

        public Entry? Previous { get; set; }

        public Entry? Next { get; set; }

        public static Entry CreateSentinel()
        {
            var sentinel = new Entry(default, new object(), 0);
            sentinel.Next = sentinel.Previous = sentinel;
            return sentinel;
        }
    }
}
