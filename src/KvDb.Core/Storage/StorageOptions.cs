// Tuning knobs of the storage engine.
// Invariants:
//  - Each property rejects an out-of-range value when it is set; Validate() checks the rules
//    that tie properties together and is called by StorageEngine.Open.
//  - Memory the engine holds for data is bounded by 2 x MemtableBytes (the active memtable and
//    at most one being flushed) + BlockCacheBytes (data, index and filter blocks all live in
//    the cache) + one block per active reader.
namespace KvDb.Core.Storage;

/// <summary>Options of a <see cref="StorageEngine"/>. Defaults suit a node with a few hundred MiB to spare.</summary>
public sealed class StorageOptions
{
    /// <summary>Size at which the active memtable is frozen and flushed to a level-0 table. Default 32 MiB.</summary>
    public long MemtableBytes
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1024L);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 1L << 30);
            field = value;
        }
    } = 32L << 20;

    /// <summary>Byte budget of the LRU cache of data, index and filter blocks; 0 disables caching. Default 32 MiB.</summary>
    public long BlockCacheBytes
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            field = value;
        }
    } = 32L << 20;

    /// <summary>Uncompressed size a data block is closed at. Default 4 KiB.</summary>
    public int BlockSize
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 64);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 1 << 20);
            field = value;
        }
    } = 4096;

    /// <summary>Every how many entries a data block stores a whole key (a restart point). Default 16.</summary>
    public int BlockRestartInterval
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 1024);
            field = value;
        }
    } = 16;

    /// <summary>Size at which compaction starts a new output table. Default 2 MiB.</summary>
    public long TargetTableBytes
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1024L);
            field = value;
        }
    } = 2L << 20;

    /// <summary>Bloom filter bits per key; 0 disables filters. Default 10 (about 1% false positives).</summary>
    public int BloomBitsPerKey
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 64);
            field = value;
        }
    } = 10;

    /// <summary>Number of level-0 tables that starts a level-0 compaction. Default 4.</summary>
    public int Level0CompactionTrigger
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            field = value;
        }
    } = 4;

    /// <summary>Number of level-0 tables at which Apply waits for compaction to catch up. Default 12.</summary>
    public int Level0StopWritesTrigger
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 2);
            field = value;
        }
    } = 12;

    /// <summary>Byte budget of level 1; each deeper level gets <see cref="LevelSizeMultiplier"/> times more. Default 64 MiB.</summary>
    public long Level1MaxBytes
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1024L);
            field = value;
        }
    } = 64L << 20;

    /// <summary>Growth factor between the byte budgets of adjacent levels. Default 10.</summary>
    public int LevelSizeMultiplier
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 2);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 100);
            field = value;
        }
    } = 10;

    /// <summary>
    /// Whether Open reads every block of every table to verify its checksum. Off by default:
    /// Open then checks sizes, footers, index and filter blocks, and data blocks are verified
    /// when first read, which keeps reopening fast.
    /// </summary>
    public bool VerifyAllBlocksOnOpen { get; init; }

    /// <summary>Whether background compaction runs. Tests turn it off to control level shapes.</summary>
    public bool BackgroundCompaction { get; init; } = true;

    /// <summary>Checks the rules that tie several options together.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A rule is broken.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Level0StopWritesTrigger, Level0CompactionTrigger + 1, nameof(Level0StopWritesTrigger));
        ArgumentOutOfRangeException.ThrowIfLessThan(TargetTableBytes, (long)BlockSize, nameof(TargetTableBytes));
    }

    /// <summary>The byte budget of <paramref name="level"/> (1 or deeper).</summary>
    internal double MaxBytesForLevel(int level)
    {
        double bytes = Level1MaxBytes;
        for (var i = 1; i < level; i++)
            bytes *= LevelSizeMultiplier;
        return bytes;
    }
}
