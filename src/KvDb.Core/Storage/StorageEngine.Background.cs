// Background work of the engine: flushing frozen memtables to level 0 and compacting.
// Invariants:
//  - A flush or compaction writes and fsyncs its tables with no lock held, then installs
//    its edit under manifestLock: new manifest first, then the new TableSet is published.
//    If the install fails the engine stops (see StorageEngine.cs), because the manifest on
//    disk may or may not name the new tables.
//  - Work started before a checkpoint install (a different epoch) is discarded, its tables
//    deleted, never installed over the new state.
//  - Compactions never overlap (compactionMutex); a flush only adds level-0 tables, which
//    is compatible with any running compaction.
namespace KvDb.Core.Storage;

public sealed partial class StorageEngine
{
    /// <summary>Flushes the immutable memtable, if any; returns whether there was work.</summary>
    private bool FlushStep()
    {
        Memtable? frozen;
        int startEpoch;
        lock (stateGate)
        {
            frozen = immutable;
            startEpoch = epoch;
        }

        if (frozen is null || failure is not null)
            return false;
        var table = frozen.EntryCount > 0 ? WriteLevel0Table(frozen) : null;
        InjectOrClose("flush:table-written", table is null ? [] : [table]);
        lock (manifestLock)
        {
            if (epoch != startEpoch)
            {
                Discard(table);
                return true;
            }

            var edit = new VersionEdit { Durable = frozen.AppliedPoint, NextFileNumber = (ulong)Interlocked.Read(ref nextFileNumber) };
            if (table is not null)
                edit.Added.Add((0, table));
            InstallVersion(edit, flushed: frozen);
        }

        Interlocked.Increment(ref flushes);
        Log.FlushedTable(logger, table?.Number ?? 0, table?.Meta.Size ?? 0, frozen.AppliedPoint.Index);
        RaiseFlushed(frozen.AppliedPoint.Index);
        if (options.BackgroundCompaction)
            compactor.Kick();
        return true;
    }

    /// <summary>Runs one due compaction; returns whether there was one.</summary>
    private bool CompactionStep()
    {
        if (!options.BackgroundCompaction || failure is not null || disposed)
            return false;
        compactionMutex.Wait();
        try
        {
            return !disposed && RunCompaction(static (v, o, pointers) => Compaction.Pick(v, o, pointers));
        }
        finally
        {
            compactionMutex.Release();
        }
    }

    /// <summary>Picks with <paramref name="pick"/> from the current version and runs it; call holding compactionMutex.</summary>
    private bool RunCompaction(Func<TableSet, StorageOptions, byte[]?[], Compaction?> pick)
    {
        TableSet input;
        int startEpoch;
        lock (manifestLock)
        {
            input = version;
            input.Acquire();
            startEpoch = epoch;
        }

        try
        {
            var compaction = pick(input, options, compactPointers);
            if (compaction is null)
                return false;
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var outputs = compaction.IsTrivialMove ? [.. compaction.Inputs] : WriteCompactionOutputs(compaction, input);
            InjectOrClose("compaction:outputs-written", compaction.IsTrivialMove ? [] : outputs);
            lock (manifestLock)
            {
                if (epoch != startEpoch)
                {
                    if (!compaction.IsTrivialMove)
                        outputs.ForEach(Discard);
                    return true;
                }

                var edit = compaction.CreateEdit(input, outputs, (ulong)Interlocked.Read(ref nextFileNumber));
                InstallVersion(edit, flushed: null);
            }

            RecordCompaction(compaction, outputs, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            return true;
        }
        finally
        {
            input.Release();
        }
    }

    private void RecordCompaction(Compaction compaction, List<TableHandle> outputs, TimeSpan duration)
    {
        if (compaction.Level > 0)
            compactPointers[compaction.Level] = compaction.Inputs[^1].Meta.Largest;
        Interlocked.Increment(ref compactions);
        if (compaction.IsTrivialMove)
            return;
        var written = outputs.Sum(static t => t.Meta.Size);
        Interlocked.Add(ref compactedBytesRead, compaction.InputBytes);
        Interlocked.Add(ref compactedBytesWritten, written);
        Log.Compacted(logger, compaction.Inputs.Count + compaction.Parents.Count, compaction.Level, outputs.Count, compaction.InputBytes, written);
        CompactionCompleted?.Invoke(new Operations.CompactionSummary(compaction.Level + 1, compaction.Inputs.Count + compaction.Parents.Count, outputs.Count, written, duration));
    }

    /// <summary>Writes the memtable's newest version of each key into one level-0 table.</summary>
    private TableHandle WriteLevel0Table(Memtable frozen)
    {
        using var output = new OutputTables(this);
        using var entries = frozen.NewIterator();
        var lastUserKey = new GrowableBuffer(64);
        var first = true;
        for (entries.SeekToFirst(); entries.Valid; entries.Next())
        {
            var user = InternalKey.UserKey(entries.Key);
            if (!first && user.SequenceEqual(lastUserKey.WrittenSpan))
                continue;
            first = false;
            lastUserKey.Clear();
            lastUserKey.Append(user);
            output.Add(entries.Key, entries.Value);
        }

        return output.Complete().Single();
    }

    /// <summary>Runs the merge of <paramref name="compaction"/> into new tables.</summary>
    private List<TableHandle> WriteCompactionOutputs(Compaction compaction, TableSet input)
    {
        using var output = new OutputTables(this);
        compaction.MergeInto(input, output, options.TargetTableBytes, () => disposed);
        return output.Complete();
    }

    /// <summary>Writes the manifest for <paramref name="edit"/> and publishes the result; call holding manifestLock.</summary>
    private void InstallVersion(VersionEdit edit, Memtable? flushed)
    {
        var next = version.Apply(edit);
        WriteManifestOrFail(next);
        lock (stateGate)
        {
            var previous = version;
            version = next;
            if (flushed is not null && ReferenceEquals(immutable, flushed))
                immutable = null;
            Publish(next);
            previous.Release();
            SetDurable(next.Durable);
        }
    }

    /// <summary>Writes the manifest describing <paramref name="next"/>; on failure the engine stops and keeps every file.</summary>
    private void WriteManifestOrFail(TableSet next)
    {
        try
        {
            Manifest.Write(directory, ToManifest(next), _ => Inject("manifest:before-rename"));
            Inject("manifest:after-rename");
        }
        catch (Exception e)
        {
            keepFiles = true;
            failure ??= e;
            next.Release();
            throw;
        }
    }

    private void SetDurable(ApplyPoint durable)
    {
        Volatile.Write(ref durableTerm, durable.Term);
        Volatile.Write(ref durableIndex, durable.Index);
    }

    private static ManifestContent ToManifest(TableSet version)
        => new(version.Durable, version.NextFileNumber,
            Enumerable.Range(0, TableSet.LevelCount).Select(l => (IReadOnlyList<FileMetadata>)version.Level(l).Select(static t => t.Meta).ToList()).ToArray());

    /// <summary>Kicks the workers if a flush or compaction is due; returns whether anything was.</summary>
    private bool KickDueWork()
    {
        var due = false;
        lock (stateGate)
        {
            if (immutable is not null)
            {
                flusher.Kick();
                due = true;
            }

            if (options.BackgroundCompaction && Compaction.MostUrgent(version, options).Score >= 1)
            {
                compactor.Kick();
                due = true;
            }
        }

        return due;
    }

    private void RaiseFlushed(long index)
    {
        try
        {
            Flushed?.Invoke(index);
        }
        catch (Exception e)
        {
            Log.HandlerFailed(logger, e);
        }
    }

    /// <summary>Runs a fault hook; if it "crashes", closes the readers of tables it leaves behind (the files stay, as after a crash).</summary>
    private void InjectOrClose(string point, List<TableHandle> uninstalled)
    {
        try
        {
            Inject(point);
        }
        catch
        {
            uninstalled.ForEach(static t => t.Reader.Dispose());
            throw;
        }
    }

    private ulong AllocateFileNumber() => (ulong)Interlocked.Increment(ref nextFileNumber) - 1;

    private TableHandle OpenTable(FileMetadata meta)
        => new(meta, TableReader.Open(TablePath(meta.Number), meta.Size, cache, verifyAllBlocks: false), OnTableUnreferenced);

    private string TablePath(ulong number) => Path.Combine(directory, FileNames.Table(number));

    /// <summary>Deletes a table that no manifest ever named.</summary>
    private void Discard(TableHandle? table)
    {
        if (table is null)
            return;
        table.Reader.Dispose();
        File.Delete(table.Reader.Path);
    }

    /// <summary>The tables a flush or compaction produces; deletes them unless Complete hands them over.</summary>
    private sealed class OutputTables(StorageEngine engine) : ICompactionSink, IDisposable
    {
        private readonly List<TableHandle> finished = [];
        private TableBuilder? builder;
        private ulong number;
        private bool completed;

        public void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            if (builder is null)
            {
                number = engine.AllocateFileNumber();
                builder = new TableBuilder(engine.TablePath(number), engine.options);
            }

            builder.Add(key, value);
        }

        public void CutIfAtLeast(long bytes)
        {
            if (builder is not null && builder.EstimatedFileSize >= bytes)
                FinishCurrent();
        }

        public List<TableHandle> Complete()
        {
            FinishCurrent();
            completed = true;
            return finished;
        }

        public void Dispose()
        {
            builder?.Dispose();
            if (!completed)
                finished.ForEach(engine.Discard);
        }

        private void FinishCurrent()
        {
            if (builder is null)
                return;
            var info = builder.Finish();
            builder = null;
            finished.Add(engine.OpenTable(new FileMetadata(number, info.Size, info.EntryCount, info.Smallest, info.Largest)));
        }
    }
}
