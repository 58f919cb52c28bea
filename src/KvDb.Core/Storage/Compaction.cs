// Compaction: merging tables into the next level to bound read cost and reclaim space.
// Strategy: leveled, as in leveldb.
//  - Level 0 receives one table per memtable flush; its tables may overlap. When it holds
//    Level0CompactionTrigger tables, all of them (plus every overlapping level-1 table) are
//    merged into level 1.
//  - Level n >= 1 is one sorted run with a byte budget of Level1MaxBytes * multiplier^(n-1).
//    The level furthest over budget gives up one table, chosen round-robin through its key
//    space, merged with the overlapping tables of level n+1. A table with no overlap below
//    is simply moved down (no rewrite).
//  Leveled rather than tiered because kvdb reads far more than it writes and wants point
//  lookups to touch one table per level, and bounded space amplification (~1.1x) matters
//  more than the extra write amplification on a Raft replica that already writes a log.
// Invariants:
//  - Output keeps exactly one version per user key: the newest. This is safe because a
//    reader never reads a TableSet newer than the one it pinned, and the entries of a TableSet
//    are all older than its readers' snapshot sequence, so no open view needs the dropped
//    versions (they remain in the input files, which views pin until they close).
//  - A tombstone is dropped only when no level below the output level may hold the key
//    (and all older versions were inputs), so a delete can never resurrect an old value.
//  - Outputs never split one user key across two tables, and are cut at TargetTableBytes.
//  - At most one compaction runs at a time (the engine serialises them), so the level
//    shape a compaction was picked from is the one it is installed into, apart from new
//    level-0 tables, which are newer and untouched.
namespace KvDb.Core.Storage;

/// <summary>Where a compaction writes its surviving entries.</summary>
internal interface ICompactionSink
{
    void Add(ReadOnlySpan<byte> internalKey, ReadOnlySpan<byte> value);

    /// <summary>Starts a new output table if the current one has reached <paramref name="bytes"/>.</summary>
    void CutIfAtLeast(long bytes);
}

internal sealed class Compaction
{
    private const int CancellationCheckInterval = 1024;

    private Compaction(int level, int outputLevel, List<TableHandle> inputs, List<TableHandle> parents)
    {
        Level = level;
        OutputLevel = outputLevel;
        Inputs = inputs;
        Parents = parents;
    }

    public int Level { get; }

    public int OutputLevel { get; }

    /// <summary>The tables taken from <see cref="Level"/>.</summary>
    public List<TableHandle> Inputs { get; }

    /// <summary>The tables of <see cref="OutputLevel"/> that overlap the inputs.</summary>
    public List<TableHandle> Parents { get; }

    public bool IsTrivialMove => Level > 0 && Inputs.Count == 1 && Parents.Count == 0;

    public long InputBytes => Inputs.Concat(Parents).Sum(static t => t.Meta.Size);

    /// <summary>How far over budget the most urgent level is; >= 1 means work is due.</summary>
    public static (int Level, double Score) MostUrgent(TableSet version, StorageOptions options)
    {
        var best = (Level: 0, Score: version.Level(0).Count / (double)options.Level0CompactionTrigger);
        for (var level = 1; level < TableSet.LevelCount - 1; level++)
        {
            var score = version.LevelBytes(level) / options.MaxBytesForLevel(level);
            if (score > best.Score)
                best = (level, score);
        }

        return best;
    }

    /// <summary>Picks the compaction due in <paramref name="version"/>, or null when every level is within budget.</summary>
    public static Compaction? Pick(TableSet version, StorageOptions options, byte[]?[] roundRobinPointers)
    {
        var (level, score) = MostUrgent(version, options);
        if (score < 1)
            return null;
        var inputs = level == 0 ? [.. version.Level(0)] : new List<TableHandle> { NextRoundRobin(version.Level(level), roundRobinPointers[level]) };
        var (smallest, largest) = UserRange(inputs);
        return new Compaction(level, level + 1, inputs, version.Overlapping(level + 1, smallest, largest));
    }

    /// <summary>A compaction of every table into one sorted run at the deepest populated level (at least 1).</summary>
    public static Compaction? PickAll(TableSet version)
    {
        var deepest = Enumerable.Range(0, TableSet.LevelCount).LastOrDefault(level => version.Level(level).Count > 0);
        if (version.TableCount == 0)
            return null;
        var output = Math.Max(1, deepest);
        var inputs = Enumerable.Range(0, output).SelectMany(level => version.Level(level)).ToList();
        return new Compaction(level: 0, output, inputs, [.. version.Level(output)]);
    }

    /// <summary>
    /// Merges the inputs into <paramref name="sink"/>, keeping the newest version of each key and
    /// dropping tombstones no deeper level needs; <paramref name="input"/> is the version it was picked from.
    /// </summary>
    public void MergeInto(TableSet input, ICompactionSink sink, long targetTableBytes, Func<bool> shouldStop)
    {
        using var merged = new MergingIterator(CreateInputIterators(input));
        var lastUserKey = new GrowableBuffer(64);
        var first = true;
        long seen = 0;
        for (merged.SeekToFirst(); merged.Valid; merged.Next())
        {
            if (++seen % CancellationCheckInterval == 0 && shouldStop())
                throw new OperationCanceledException("The engine is closing.");
            var key = merged.Key;
            var user = InternalKey.UserKey(key);
            if (!first && user.SequenceEqual(lastUserKey.WrittenSpan))
                continue;
            first = false;
            sink.CutIfAtLeast(targetTableBytes);
            lastUserKey.Clear();
            lastUserKey.Append(user);
            if (InternalKey.Kind(key) == EntryKind.Delete && input.IsBottomFor(OutputLevel, user))
                continue;
            sink.Add(key, merged.Value);
        }
    }

    /// <summary>Iterators over the inputs, newest first, as a merge expects.</summary>
    public List<InternalIterator> CreateInputIterators(TableSet version)
    {
        var iterators = new List<InternalIterator>();
        for (var level = 0; level < OutputLevel; level++)
        {
            var tables = version.Level(level).Where(Inputs.Contains).ToList();
            if (level == 0)
                iterators.AddRange(tables.Select(static t => t.Reader.NewIterator(fillCache: false)));
            else if (tables.Count > 0)
                iterators.Add(new LevelIterator(tables, fillCache: false));
        }

        if (Parents.Count > 0)
            iterators.Add(new LevelIterator(Parents, fillCache: false));
        return iterators;
    }

    /// <summary>The edit that replaces the inputs with <paramref name="outputs"/>.</summary>
    public VersionEdit CreateEdit(TableSet version, IEnumerable<TableHandle> outputs, ulong nextFileNumber)
    {
        var edit = new VersionEdit { NextFileNumber = nextFileNumber };
        for (var level = 0; level < TableSet.LevelCount; level++)
        {
            foreach (var table in version.Level(level))
            {
                if (Inputs.Contains(table) || Parents.Contains(table))
                    edit.Deleted.Add((level, table.Number));
            }
        }

        foreach (var table in outputs)
            edit.Added.Add((OutputLevel, table));
        return edit;
    }

    private static TableHandle NextRoundRobin(IReadOnlyList<TableHandle> tables, byte[]? after)
    {
        if (after is not null)
        {
            foreach (var table in tables)
            {
                if (InternalKey.Compare(table.Meta.Largest, after) > 0)
                    return table;
            }
        }

        return tables[0];
    }

    private static (byte[] Smallest, byte[] Largest) UserRange(List<TableHandle> tables)
    {
        var smallest = tables[0].Meta.SmallestUserKey.ToArray();
        var largest = tables[0].Meta.LargestUserKey.ToArray();
        foreach (var table in tables)
        {
            if (table.Meta.SmallestUserKey.SequenceCompareTo(smallest) < 0)
                smallest = table.Meta.SmallestUserKey.ToArray();
            if (table.Meta.LargestUserKey.SequenceCompareTo(largest) > 0)
                largest = table.Meta.LargestUserKey.ToArray();
        }

        return (smallest, largest);
    }
}
