// An immutable set of live tables per level plus the Raft position they cover: exactly
// what one manifest records (leveldb calls it a Version; the name here does not clash with System.Version).
// Invariants:
//  - Level 0 tables are ordered newest first (by file number: flushes are numbered in the
//    order they happen) and may overlap. Levels 1+ are sorted by smallest key and never
//    overlap, and no user key is split across two tables of one level.
//  - Newer data is always found first: level 0 newest to oldest, then level 1, 2, ...
//  - Reference-counted: the engine's current pointer, every read state and every checkpoint
//    hold one reference; a TableSet holds one reference on each of its tables.
//  - TableSets are never modified: an edit produces a new TableSet.
namespace KvDb.Core.Storage;

internal sealed class TableSet
{
    public const int LevelCount = 7;

    private readonly TableHandle[][] levels;
    private int references = 1;

    public TableSet(TableHandle[][] levels, ApplyPoint durable, ulong nextFileNumber)
    {
        this.levels = levels;
        Durable = durable;
        NextFileNumber = nextFileNumber;
        TableCount = levels.Sum(static tables => tables.Length);
        foreach (var table in AllTables)
            table.AddRef();
    }

    /// <summary>The last batch the tables cover; what a restart reopens at.</summary>
    public ApplyPoint Durable { get; }

    /// <summary>A file number greater than any this version's tables use.</summary>
    public ulong NextFileNumber { get; }

    public IEnumerable<TableHandle> AllTables => levels.SelectMany(static tables => tables);

    public static TableSet CreateEmpty(ApplyPoint durable)
        => new(Enumerable.Range(0, LevelCount).Select(static _ => Array.Empty<TableHandle>()).ToArray(), durable, 1);

    public IReadOnlyList<TableHandle> Level(int level) => levels[level];

    public long LevelBytes(int level) => levels[level].Sum(static table => table.Meta.Size);

    public int TableCount { get; }

    public bool TryAcquire()
    {
        for (var seen = Volatile.Read(ref references); seen > 0; seen = Volatile.Read(ref references))
        {
            if (Interlocked.CompareExchange(ref references, seen + 1, seen) == seen)
                return true;
        }

        return false;
    }

    public void Acquire()
    {
        if (!TryAcquire())
            throw new InvalidOperationException("TableSet already released.");
    }

    public void Release()
    {
        var left = Interlocked.Decrement(ref references);
        if (left > 0)
            return;
        if (left < 0)
            throw new InvalidOperationException("TableSet released more often than acquired.");
        foreach (var table in AllTables)
            table.Release();
    }

    /// <summary>Looks a key up in the tables, newest first; the first version found decides.</summary>
    public LookupResult TryGet(ReadOnlySpan<byte> lookupKey, ulong userKeyHash, out byte[]? value)
    {
        value = null;
        var userKey = InternalKey.UserKey(lookupKey);
        foreach (var table in levels[0])
        {
            if (!table.Meta.ContainsUserKey(userKey))
                continue;
            var result = table.Reader.TryGet(lookupKey, userKeyHash, out value);
            if (result != LookupResult.NotFound)
                return result;
        }

        for (var level = 1; level < LevelCount; level++)
        {
            var candidate = FindTable(levels[level], userKey);
            if (candidate is null || candidate.Meta.SmallestUserKey.SequenceCompareTo(userKey) > 0)
                continue;
            var result = candidate.Reader.TryGet(lookupKey, userKeyHash, out value);
            if (result != LookupResult.NotFound)
                return result;
        }

        return LookupResult.NotFound;
    }

    /// <summary>Adds iterators over every table, newest sources first.</summary>
    public void AddIterators(List<InternalIterator> into, bool fillCache)
    {
        foreach (var table in levels[0])
            into.Add(table.Reader.NewIterator(fillCache));
        for (var level = 1; level < LevelCount; level++)
        {
            if (levels[level].Length > 0)
                into.Add(new LevelIterator(levels[level], fillCache));
        }
    }

    /// <summary>The tables of <paramref name="level"/> whose user-key range meets [smallest, largest].</summary>
    public List<TableHandle> Overlapping(int level, ReadOnlySpan<byte> smallestUser, ReadOnlySpan<byte> largestUser)
    {
        var found = new List<TableHandle>();
        foreach (var table in levels[level])
        {
            if (table.Meta.OverlapsUserRange(smallestUser, largestUser))
                found.Add(table);
        }

        return found;
    }

    /// <summary>True when no level deeper than <paramref name="level"/> may hold <paramref name="userKey"/>.</summary>
    public bool IsBottomFor(int level, ReadOnlySpan<byte> userKey)
    {
        for (var deeper = level + 1; deeper < LevelCount; deeper++)
        {
            var table = FindTable(levels[deeper], userKey);
            if (table is not null && table.Meta.SmallestUserKey.SequenceCompareTo(userKey) <= 0)
                return false;
        }

        return true;
    }

    /// <summary>Builds the version that results from applying <paramref name="edit"/>.</summary>
    public TableSet Apply(VersionEdit edit)
    {
        var next = new TableHandle[LevelCount][];
        for (var level = 0; level < LevelCount; level++)
        {
            var tables = levels[level].Where(t => !edit.Deleted.Contains((level, t.Number))).ToList();
            tables.AddRange(edit.Added.Where(a => a.Level == level).Select(static a => a.Table));
            if (level == 0)
                tables.Sort(static (x, y) => y.Number.CompareTo(x.Number));
            else
                tables.Sort(static (x, y) => InternalKey.Compare(x.Meta.Smallest, y.Meta.Smallest));
            next[level] = [.. tables];
        }

        return new TableSet(next, edit.Durable ?? Durable, Math.Max(NextFileNumber, edit.NextFileNumber));
    }

    /// <summary>The first table (of a sorted level) whose largest user key is >= userKey.</summary>
    private static TableHandle? FindTable(TableHandle[] sorted, ReadOnlySpan<byte> userKey)
    {
        int left = 0, right = sorted.Length;
        while (left < right)
        {
            var mid = (left + right) >>> 1;
            if (sorted[mid].Meta.LargestUserKey.SequenceCompareTo(userKey) < 0)
                left = mid + 1;
            else
                right = mid;
        }

        return left < sorted.Length ? sorted[left] : null;
    }
}

/// <summary>A change from one TableSet to the next: tables removed, tables added, a new durable point.</summary>
internal sealed class VersionEdit
{
    public HashSet<(int Level, ulong Number)> Deleted { get; } = [];

    public List<(int Level, TableHandle Table)> Added { get; } = [];

    /// <summary>The new durable point, or null to keep the current one.</summary>
    public ApplyPoint? Durable { get; set; }

    /// <summary>The file-number counter to record (file numbers handed out so far).</summary>
    public ulong NextFileNumber { get; set; }
}
