// A snapshot of the engine's counters and sizes for monitoring; values are read without a
// global lock, so they are individually accurate but not one atomic picture.
namespace KvDb.Core.Storage;

/// <summary>Counters and sizes of a <see cref="StorageEngine"/>.</summary>
public sealed record StorageStats
{
    /// <summary>Bytes held by the active memtable.</summary>
    public long MemtableBytes { get; init; }

    /// <summary>Bytes held by the memtable being flushed, or 0.</summary>
    public long ImmutableMemtableBytes { get; init; }

    /// <summary>The number of tables in each level (index 0 = level 0).</summary>
    public required IReadOnlyList<int> TablesPerLevel { get; init; }

    /// <summary>The bytes of the tables in each level.</summary>
    public required IReadOnlyList<long> BytesPerLevel { get; init; }

    /// <summary>The bytes of every live table.</summary>
    public long TotalTableBytes => BytesPerLevel.Sum();

    /// <summary>The number of live tables.</summary>
    public int TableCount => TablesPerLevel.Sum();

    /// <summary>Memtable flushes completed since open.</summary>
    public long FlushesCompleted { get; init; }

    /// <summary>Compactions (including trivial moves) completed since open.</summary>
    public long CompactionsCompleted { get; init; }

    /// <summary>Table bytes read by compactions since open.</summary>
    public long BytesCompactedRead { get; init; }

    /// <summary>Table bytes written by compactions since open.</summary>
    public long BytesCompactedWritten { get; init; }

    /// <summary>Bytes currently charged to the block cache.</summary>
    public long CacheBytes { get; init; }

    /// <summary>The block cache's byte budget.</summary>
    public long CacheCapacity { get; init; }

    /// <summary>Block cache lookups that found their block.</summary>
    public long CacheHits { get; init; }

    /// <summary>Block cache lookups that had to read the file.</summary>
    public long CacheMisses { get; init; }

    /// <summary>
    /// Entries in memtables and tables, counting tombstones and versions not yet compacted away:
    /// an upper bound on the number of live keys, exact right after CompactAll with empty memtables.
    /// </summary>
    public long ApproximateEntryCount { get; init; }

    /// <summary>The Raft index of the last applied batch.</summary>
    public long AppliedIndex { get; init; }

    /// <summary>The Raft index covered by the last completed flush.</summary>
    public long DurableIndex { get; init; }
}
