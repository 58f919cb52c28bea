// Checkpoints: pinning the durable state for transfer, and replacing the whole state with
// one received from another member.
// Invariants:
//  - An install stages and verifies everything (archive checksums, manifest, every block of
//    every table) before touching the engine's state; a rejected archive leaves it as it was.
//    Staging and switching can also be done apart: at most one checkpoint is staged at a time,
//    and a newer staging makes older StagedCheckpoint handles stale.
//  - The switch is one manifest rename: staged tables are first moved in under fresh file
//    numbers (unreferenced, so a crash before the rename leaves orphans that Open deletes),
//    then the manifest naming only them replaces the old one. A crash leaves the old state or
//    the new one, never a mix.
//  - Sequence numbers keep growing across an install, so views of the old state stay
//    consistent, and in-flight flushes and compactions of the old state are discarded.
namespace KvDb.Core.Storage;

public sealed partial class StorageEngine
{
    private readonly SemaphoreSlim installMutex = new(1, 1);
    private long stagings;

    /// <summary>
    /// Pins the latest flush point (call <see cref="Flush"/> first to include everything applied)
    /// and returns it for streaming; dispose it when done so compaction can reclaim its files.
    /// </summary>
    public StorageCheckpoint OpenCheckpoint()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        lock (manifestLock)
        {
            version.Acquire();
            return new StorageCheckpoint(version, Manifest.Encode(ToManifest(version)));
        }
    }

    /// <summary>Replaces the engine's whole state with a checkpoint archive; see <see cref="InstallCheckpointAsync"/>.</summary>
    public void InstallCheckpoint(Stream archive) => InstallCheckpointAsync(archive).GetAwaiter().GetResult();

    /// <summary>
    /// Receives an archive written by <see cref="StorageCheckpoint.WriteToAsync"/>, verifies it whole, then
    /// atomically replaces the engine's state with it: afterwards AppliedIndex and DurableIndex are the
    /// archive's index, and the memtable is empty. Views opened before keep reading the old state.
    /// Must not run concurrently with <see cref="Apply"/> from another thread's point of view: the
    /// caller (the Raft state machine) stops applying while it installs.
    /// </summary>
    /// <exception cref="StorageCorruptionException">The archive failed a check; the old state is untouched.</exception>
    public async Task InstallCheckpointAsync(Stream archive, CancellationToken token = default)
    {
        using var staged = await StageCheckpointAsync(archive, token).ConfigureAwait(false);
        await InstallStagedAsync(staged).ConfigureAwait(false);
    }

    /// <summary>
    /// The slow half of an install, which leaves the engine's state alone: receives an archive into
    /// the staging directory and verifies every block of it. <see cref="InstallStagedAsync"/> then switches
    /// to it quickly. Staging again discards what was staged before; so does disposing the result.
    /// </summary>
    /// <exception cref="StorageCorruptionException">The archive failed a check.</exception>
    public async Task<StagedCheckpoint> StageCheckpointAsync(Stream archive, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(archive);
        ThrowIfUnusable();
        await installMutex.WaitAsync(token).ConfigureAwait(false);
        var staging = Path.Combine(directory, FileNames.Staging);
        try
        {
            DeleteStaging();
            System.IO.Directory.CreateDirectory(staging);
            var received = await CheckpointArchive.ReceiveAsync(archive, staging, token).ConfigureAwait(false);
            VerifyStagedTables(received);
            Inject("checkpoint:verified");
            return new StagedCheckpoint(this, received, ++stagings);
        }
        catch
        {
            DeleteStaging();
            throw;
        }
        finally
        {
            installMutex.Release();
        }
    }

    /// <summary>
    /// The fast half of an install: atomically replaces the engine's state with a staged checkpoint
    /// (file renames and one manifest switch). Same rules as <see cref="InstallCheckpointAsync"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The checkpoint was installed, discarded or staged over.</exception>
    public async Task InstallStagedAsync(StagedCheckpoint staged)
    {
        ArgumentNullException.ThrowIfNull(staged);
        await installMutex.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!ReferenceEquals(staged.Engine, this) || staged.Generation != stagings || staged.IsConsumed)
                throw new InvalidOperationException("This staged checkpoint is no longer staged here.");

            staged.MarkConsumed();
            var durable = SwapIn(staged.Received);
            Log.InstalledCheckpoint(logger, durable.Index, staged.Received.StagedTables.Count);
            RaiseFlushed(durable.Index);
        }
        finally
        {
            DeleteStaging();
            installMutex.Release();
        }
    }

    /// <summary>Discards <paramref name="staged"/> if it is still what is staged.</summary>
    internal void DiscardStaged(StagedCheckpoint staged)
    {
        installMutex.Wait();
        try
        {
            if (staged.Generation == stagings && !staged.IsConsumed)
                DeleteStaging();
        }
        finally
        {
            installMutex.Release();
        }
    }

    private void DeleteStaging()
    {
        var staging = Path.Combine(directory, FileNames.Staging);
        if (System.IO.Directory.Exists(staging))
            System.IO.Directory.Delete(staging, recursive: true);
    }

    private static void VerifyStagedTables(ReceivedCheckpoint received)
    {
        var noCache = new BlockCache(0);
        foreach (var table in received.Manifest.AllTables)
        {
            using var reader = TableReader.Open(received.StagedTables[table.Number], table.Size, noCache, verifyAllBlocks: true);
        }
    }

    /// <summary>Moves the staged tables in and switches to them with one manifest rename.</summary>
    private ApplyPoint SwapIn(ReceivedCheckpoint received)
    {
        lock (writeLock)
        {
            ThrowIfUnusable();
            lock (manifestLock)
            {
                var levels = MoveStagedTables(received);
                var sequence = Math.Max(lastSequence, received.Manifest.Durable.Sequence);
                var durable = received.Manifest.Durable with { Sequence = sequence };
                var next = new TableSet(levels, durable, (ulong)Interlocked.Read(ref nextFileNumber));
                WriteManifestOrFail(next);
                lock (stateGate)
                {
                    epoch++;
                    var previous = version;
                    version = next;
                    immutable = null;
                    mutable = new Memtable(durable, arenaChunkBytes);
                    lastSequence = sequence;
                    Publish(next);
                    previous.Release();
                    SetDurable(durable);
                    Volatile.Write(ref appliedTerm, durable.Term);
                    Volatile.Write(ref appliedIndex, durable.Index);
                }

                return durable;
            }
        }
    }

    private TableHandle[][] MoveStagedTables(ReceivedCheckpoint received)
    {
        var levels = new TableHandle[TableSet.LevelCount][];
        var moved = new List<TableHandle>();
        try
        {
            for (var level = 0; level < TableSet.LevelCount; level++)
            {
                levels[level] = received.Manifest.Levels[level].Select(meta =>
                {
                    var number = AllocateFileNumber();
                    File.Move(received.StagedTables[meta.Number], TablePath(number));
                    var table = OpenTable(meta with { Number = number });
                    moved.Add(table);
                    return table;
                }).ToArray();
            }

            Durability.SyncDirectory(directory);
            Inject("checkpoint:tables-moved");
            return levels;
        }
        catch
        {
            // Nothing names these tables yet, so they can go (a crash would leave them to Open).
            moved.ForEach(Discard);
            throw;
        }
    }
}
