// The storage engine facade: a leveldb-style LSM tree whose write-ahead log is the Raft log.
// Invariants:
//  - One writer at a time (Apply, Flush's memtable switch, InstallCheckpoint) under
//    writeLock; readers never take a lock: they acquire the current ReadState and read at
//    its memtable's applied sequence, so a batch becomes visible all at once.
//  - The on-disk state is always MANIFEST plus the tables it names. Tables are fsynced
//    before a manifest names them, manifests are replaced by rename + directory fsync, and
//    files no manifest names are deleted at open: a crash at any moment reopens cleanly at
//    the last completed flush, whose Raft index is DurableIndex.
//  - Lock order: writeLock, then manifestLock (version changes and manifest writes), then
//    stateGate (the published ReadState, the memtables, and the waits on them). Background
//    work never holds a lock while reading or writing table data.
//  - After a background failure (an I/O error) the engine refuses writes and flushes, keeps
//    serving reads, and stops deleting files; reopening recovers from the durable state.
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvDb.Core.Storage;

/// <summary>
/// A persistent, ordered key-value store for one kvdb member. The Raft log is its write-ahead
/// log: writes land in memory and become durable at the next flush, whose Raft index
/// <see cref="DurableIndex"/> reports; after a restart the caller replays the log from there.
/// </summary>
public sealed partial class StorageEngine : IDisposable
{
    private readonly string directory;
    private readonly StorageOptions options;
    private readonly ILogger logger;
    private readonly BlockCache cache;
    private readonly FileStream lockFile;
    private readonly Lock writeLock = new();
    private readonly Lock manifestLock = new();
    private readonly object stateGate = new();
    private readonly WorkLoop flusher;
    private readonly WorkLoop compactor;
    private readonly SemaphoreSlim compactionMutex = new(1, 1);
    private readonly byte[]?[] compactPointers = new byte[TableSet.LevelCount][];
    private readonly int arenaChunkBytes;
    private ReadState current;
    private TableSet version;
    private Memtable mutable;
    private Memtable? immutable;
    private ulong lastSequence;
    private long nextFileNumber;
    private long appliedIndex;
    private long appliedTerm;
    private long durableIndex;
    private long durableTerm;
    private int epoch;
    private volatile Exception? failure;
    private volatile bool disposed;
    private int disposing;
    private volatile bool keepFiles;
    private long flushes;
    private long compactions;
    private long compactedBytesRead;
    private long compactedBytesWritten;

    private StorageEngine(string directory, StorageOptions options, ILogger logger, BlockCache cache, FileStream lockFile, TableSet version)
    {
        this.directory = directory;
        this.options = options;
        this.logger = logger;
        this.cache = cache;
        this.lockFile = lockFile;
        this.version = version;
        arenaChunkBytes = (int)Math.Clamp(options.MemtableBytes / 16, 4096, 1 << 20);
        var durable = version.Durable;
        mutable = new Memtable(durable, arenaChunkBytes);
        current = new ReadState(mutable, null, version);
        lastSequence = durable.Sequence;
        nextFileNumber = (long)version.NextFileNumber;
        appliedIndex = durableIndex = durable.Index;
        appliedTerm = durableTerm = durable.Term;
        flusher = new WorkLoop(FlushStep, OnBackgroundFailure);
        compactor = new WorkLoop(CompactionStep, OnBackgroundFailure);
    }

    /// <summary>The directory the engine owns.</summary>
    public string Directory => directory;

    /// <summary>The Raft index of the last batch applied (in memory or on disk).</summary>
    public long AppliedIndex => Volatile.Read(ref appliedIndex);

    /// <summary>The Raft term of the last batch applied.</summary>
    public long AppliedTerm => Volatile.Read(ref appliedTerm);

    /// <summary>The Raft index of the last batch covered by a completed flush: what survives a restart.</summary>
    public long DurableIndex => Volatile.Read(ref durableIndex);

    /// <summary>The Raft term of the batch at <see cref="DurableIndex"/>.</summary>
    public long DurableTerm => Volatile.Read(ref durableTerm);

    /// <summary>
    /// Raised with the new <see cref="DurableIndex"/> after a flush (background or explicit) or a
    /// checkpoint install completes, on a background thread; the Raft log up to that index may be
    /// compacted. Keep handlers short and never dispose the engine from one.
    /// </summary>
    public event Action<long>? Flushed;

    /// <summary>Raised on the compaction thread after each compaction that rewrote tables; handlers must be quick.</summary>
    public event Action<Operations.CompactionSummary>? CompactionCompleted;

    /// <summary>A test hook called at named points of flushes, compactions and installs; throwing simulates a crash there.</summary>
    internal Action<string>? FaultInjection { get; set; }

    /// <summary>Opens (creating when missing) the engine stored in <paramref name="directory"/>.</summary>
    /// <exception cref="StorageCorruptionException">The manifest or a table it names is missing, truncated or corrupted; the message names the file.</exception>
    /// <exception cref="IOException">Another engine has the directory open.</exception>
    public static StorageEngine Open(string directory, StorageOptions options, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        directory = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(directory);
        var lockFile = AcquireDirectoryLock(directory);
        try
        {
            return OpenLocked(directory, options, logger ?? NullLogger.Instance, lockFile);
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Applies a committed batch from Raft entry <paramref name="index"/> of <paramref name="term"/>.
    /// Readers see all of the batch or none of it. Call from one thread at a time; may block when
    /// flushing or compaction falls behind (back-pressure).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not above <see cref="AppliedIndex"/>.</exception>
    public void Apply(WriteBatch batch, long index, long term)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(term);
        lock (writeLock)
        {
            ThrowIfUnusable();
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(index, AppliedIndex);
            MakeRoomForWrite();
            var sequence = lastSequence;
            for (var records = batch.GetReader(); records.MoveNext();)
                mutable.Add(++sequence, records.Kind, records.Key, records.Value);
            lastSequence = sequence;
            mutable.Publish(new ApplyPoint(sequence, index, term));
            Volatile.Write(ref appliedTerm, term);
            Volatile.Write(ref appliedIndex, index);
        }
    }

    /// <summary>Reads the current value of <paramref name="key"/>; thread-safe and lock-free.</summary>
    public bool TryGet(ReadOnlySpan<byte> key, out byte[]? value)
    {
        var state = AcquireState();
        try
        {
            return state.TryGet(key, state.Mutable.AppliedPoint.Sequence, out value);
        }
        finally
        {
            state.Release();
        }
    }

    /// <summary>Opens a consistent point-in-time view; dispose it to unpin the files it reads.</summary>
    public StorageView OpenView()
    {
        var state = AcquireState();
        return new StorageView(state, state.Mutable.AppliedPoint);
    }

    /// <summary>
    /// Makes everything applied so far durable: freezes the memtable, writes it as a level-0 table,
    /// fsyncs it and records <see cref="AppliedIndex"/> in a new manifest. Blocks until done.
    /// </summary>
    public void Flush() => FlushAsync().GetAwaiter().GetResult();

    /// <summary>Compacts every table into one sorted run, dropping all shadowed versions and tombstones.</summary>
    public void CompactAll()
    {
        Flush();
        compactionMutex.Wait();
        try
        {
            ThrowIfUnusable();
            RunCompaction(static (v, _, _) => Compaction.PickAll(v));
        }
        finally
        {
            compactionMutex.Release();
        }
    }

    /// <summary>Completes when no flush or compaction is running or due; throws if background work failed.</summary>
    public async Task WaitForBackgroundWorkAsync()
    {
        while (true)
        {
            var flushing = flusher.WhenIdle();
            var compacting = compactor.WhenIdle();
            if (!flushing.IsCompleted || !compacting.IsCompleted)
            {
                await Task.WhenAll(flushing, compacting).ConfigureAwait(false);
                continue;
            }

            if (failure is not null)
                throw new IOException("Background storage work failed.", failure);
            if (!KickDueWork())
                return;
        }
    }

    /// <summary>Counters and sizes for monitoring.</summary>
    public StorageStats Stats
    {
        get
        {
            var state = AcquireState();
            try
            {
                var levels = Enumerable.Range(0, TableSet.LevelCount).Select(state.TableSet.Level).ToArray();
                return new StorageStats
                {
                    MemtableBytes = state.Mutable.ApproximateBytes,
                    ImmutableMemtableBytes = state.Immutable?.ApproximateBytes ?? 0,
                    TablesPerLevel = levels.Select(static l => l.Count).ToArray(),
                    BytesPerLevel = levels.Select(static l => l.Sum(static t => t.Meta.Size)).ToArray(),
                    FlushesCompleted = Interlocked.Read(ref flushes),
                    CompactionsCompleted = Interlocked.Read(ref compactions),
                    BytesCompactedRead = Interlocked.Read(ref compactedBytesRead),
                    BytesCompactedWritten = Interlocked.Read(ref compactedBytesWritten),
                    CacheBytes = cache.Usage,
                    CacheCapacity = cache.Capacity,
                    CacheHits = cache.Hits,
                    CacheMisses = cache.Misses,
                    ApproximateEntryCount = state.Mutable.EntryCount + (state.Immutable?.EntryCount ?? 0)
                        + levels.Sum(static l => l.Sum(static t => t.Meta.EntryCount)),
                    AppliedIndex = AppliedIndex,
                    DurableIndex = DurableIndex,
                };
            }
            finally
            {
                state.Release();
            }
        }
    }

    /// <summary>
    /// Closes the engine after running background work finishes. Does not flush: what was applied
    /// after <see cref="DurableIndex"/> is recovered by replaying the Raft log. Open views keep working
    /// until they are disposed.
    /// </summary>
    public void Dispose()
    {
        if (!BeginClose())
            return;
        Task.WhenAll(flusher.WhenIdle(), compactor.WhenIdle()).GetAwaiter().GetResult();
        EndClose();
    }

    /// <summary>Refuses further work and wakes every waiter; false when the engine is already closing.</summary>
    private bool BeginClose()
    {
        if (Interlocked.Exchange(ref disposing, 1) == 1)
            return false;
        disposed = true;
        lock (stateGate)
            Signal();
        lock (writeLock)
        {
            // Waits for a writer that is still inside Apply or InstallCheckpoint to leave.
        }

        return true;
    }

    /// <summary>Releases the state and files once background work has ended.</summary>
    private void EndClose()
    {
        keepFiles = true;
        lock (stateGate)
        {
            current.Release();
            version.Release();
        }

        cache.Clear();
        lockFile.Dispose();
    }

    private static StorageEngine OpenLocked(string directory, StorageOptions options, ILogger logger, FileStream lockFile)
    {
        var manifest = Manifest.Read(directory) ?? CreateInitialManifest(directory);
        RemoveLeftovers(directory, manifest, logger);
        var cache = new BlockCache(options.BlockCacheBytes);
        var opened = new List<TableHandle>();
        StorageEngine? engine = null;
        try
        {
            var levels = new TableHandle[TableSet.LevelCount][];
            for (var level = 0; level < TableSet.LevelCount; level++)
            {
                levels[level] = manifest.Levels[level].Select(meta =>
                {
                    var reader = TableReader.Open(Path.Combine(directory, FileNames.Table(meta.Number)), meta.Size, cache, options.VerifyAllBlocksOnOpen);
                    var handle = new TableHandle(meta, reader, table => engine!.OnTableUnreferenced(table));
                    opened.Add(handle);
                    return handle;
                }).ToArray();
            }

            var maxNumber = manifest.AllTables.Select(static t => t.Number).DefaultIfEmpty(0UL).Max();
            var version = new TableSet(levels, manifest.Durable, Math.Max(manifest.NextFileNumber, maxNumber + 1));
            engine = new StorageEngine(directory, options, logger, cache, lockFile, version);
            Log.Opened(logger, directory, manifest.Durable.Index, version.TableCount);
            engine.KickDueWork();
            return engine;
        }
        catch
        {
            foreach (var handle in opened)
                handle.Reader.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes the empty state's manifest into a new directory. Every engine directory has a manifest
    /// from then on, so tables without one mean a lost manifest, not a crash: refuse rather than
    /// delete them as orphans.
    /// </summary>
    private static ManifestContent CreateInitialManifest(string directory)
    {
        var manifestPath = Path.Combine(directory, Manifest.FileName);
        if (System.IO.Directory.EnumerateFiles(directory).Any(static f => FileNames.TryParseTable(Path.GetFileName(f), out _)))
            throw new StorageCorruptionException(manifestPath, "the manifest is missing but table files exist");
        var empty = new ManifestContent(ApplyPoint.Empty, 1, EmptyLevels());
        Manifest.Write(directory, empty);
        return empty;
    }

    private static IReadOnlyList<FileMetadata>[] EmptyLevels()
        => Enumerable.Range(0, TableSet.LevelCount).Select(static _ => (IReadOnlyList<FileMetadata>)[]).ToArray();

    private static FileStream AcquireDirectoryLock(string directory)
    {
        try
        {
            return new FileStream(Path.Combine(directory, FileNames.Lock), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"Storage directory '{directory}' is in use by another engine.", e);
        }
    }

    /// <summary>Deletes what a crash can leave behind: temporary files, staging and unreferenced tables.</summary>
    private static void RemoveLeftovers(string directory, ManifestContent manifest, ILogger logger)
    {
        var live = manifest.AllTables.Select(static t => t.Number).ToHashSet();
        foreach (var path in System.IO.Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(path);
            if (FileNames.IsTemporary(name) || (FileNames.TryParseTable(name, out var number) && !live.Contains(number)))
            {
                Log.RemovedLeftover(logger, path);
                File.Delete(path);
            }
        }

        var staging = Path.Combine(directory, FileNames.Staging);
        if (System.IO.Directory.Exists(staging))
            System.IO.Directory.Delete(staging, recursive: true);
        Durability.SyncDirectory(directory);
    }

    private ReadState AcquireState()
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            var state = Volatile.Read(ref current);
            if (state.TryAcquire())
                return state;
        }
    }

    /// <summary>
    /// Waits until the memtable has room and level 0 is not overloaded; switches memtables when
    /// full. A caller that awaited WaitForWriteRoomAsync first never waits here (it is the only
    /// writer, and background work only makes room); the wait is a backstop for other callers.
    /// </summary>
    private void MakeRoomForWrite()
    {
        if (mutable.ApproximateBytes < options.MemtableBytes && !Level0Overloaded())
            return;
        lock (stateGate)
        {
            WaitWhile(WriteStalled);
            if (mutable.ApproximateBytes >= options.MemtableBytes)
                SwitchMemtable();
        }
    }

    private bool Level0Overloaded()
        => options.BackgroundCompaction && Volatile.Read(ref version).Level(0).Count >= options.Level0StopWritesTrigger;

    /// <summary>Freezes the active memtable for flushing; call with writeLock and stateGate held and no immutable memtable.</summary>
    private void SwitchMemtable()
    {
        immutable = mutable;
        mutable = new Memtable(immutable.AppliedPoint, arenaChunkBytes);
        Publish(version);
        flusher.Kick();
    }

    /// <summary>Publishes a new ReadState over the current memtables and <paramref name="tables"/>; call with stateGate held.</summary>
    private void Publish(TableSet tables)
    {
        var previous = current;
        Volatile.Write(ref current, new ReadState(mutable, immutable, tables));
        previous.Release();
        Signal();
    }

    /// <summary>Waits on stateGate while <paramref name="condition"/> holds, giving up if the engine fails or closes.</summary>
    private void WaitWhile(Func<bool> condition)
    {
        while (condition())
        {
            ThrowIfUnusable();
            Monitor.Wait(stateGate, TimeSpan.FromSeconds(1));
        }

        ThrowIfUnusable();
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (failure is { } cause)
            throw new IOException("The storage engine stopped after a background failure; reopen it to recover.", cause);
    }

    private void OnBackgroundFailure(Exception e)
    {
        if (e is OperationCanceledException && disposed)
            return;
        keepFiles = true;
        failure ??= e;
        Log.BackgroundFailed(logger, e);
        lock (stateGate)
            Signal();
    }

    private void OnTableUnreferenced(TableHandle table)
    {
        table.Reader.Dispose();
        if (keepFiles)
            return;
        try
        {
            File.Delete(table.Reader.Path);
        }
        catch (IOException e)
        {
            Log.DeleteFailed(logger, table.Reader.Path, e);
        }
    }

    /// <summary>The manifest records of the live tables per level, for tests and tools.</summary>
    internal List<List<FileMetadata>> DescribeLevels()
    {
        lock (manifestLock)
            return Enumerable.Range(0, TableSet.LevelCount).Select(l => version.Level(l).Select(static t => t.Meta).ToList()).ToList();
    }

    private void Inject(string point) => FaultInjection?.Invoke(point);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Storage opened at {Directory}: durable index {Index}, {Tables} tables")]
        public static partial void Opened(ILogger logger, string directory, long index, int tables);

        [LoggerMessage(Level = LogLevel.Information, Message = "Removed leftover file {Path}")]
        public static partial void RemovedLeftover(ILogger logger, string path);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Flushed memtable to table {Number} ({Bytes} bytes); durable index {Index}")]
        public static partial void FlushedTable(ILogger logger, ulong number, long bytes, long index);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Compacted {Inputs} tables from level {Level} into {Outputs} tables ({BytesIn} -> {BytesOut} bytes)")]
        public static partial void Compacted(ILogger logger, int inputs, int level, int outputs, long bytesIn, long bytesOut);

        [LoggerMessage(Level = LogLevel.Information, Message = "Installed checkpoint at index {Index}: {Tables} tables")]
        public static partial void InstalledCheckpoint(ILogger logger, long index, int tables);

        [LoggerMessage(Level = LogLevel.Error, Message = "Background storage work failed; the engine refuses writes until reopened")]
        public static partial void BackgroundFailed(ILogger logger, Exception exception);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete obsolete table {Path}")]
        public static partial void DeleteFailed(ILogger logger, string path, Exception exception);

        [LoggerMessage(Level = LogLevel.Warning, Message = "A Flushed handler threw")]
        public static partial void HandlerFailed(ILogger logger, Exception exception);
    }
}
