// The state machine's store on the leveldb-style engine: StoreBatch in, WriteBatch out.
// Invariants: an entry at or below the engine's applied index is skipped, so replaying the
// Raft log over a state that already holds some of it is harmless (the engine itself refuses
// to go backwards).
using KvDb.Core.Operations;
using KvDb.Core.Storage;

namespace KvDb.Core.State;

/// <summary>An <see cref="IKeyValueStore"/> backed by a <see cref="StorageEngine"/>, reporting its figures for monitoring.</summary>
public sealed class EngineKeyValueStore(StorageEngine engine) : IKeyValueStore, IStorageMetricsSource
{
    private readonly WriteBatch engineBatch = new();

    /// <summary>The engine underneath.</summary>
    public StorageEngine Engine => engine;

    /// <inheritdoc/>
    public long AppliedIndex => engine.AppliedIndex;

    /// <inheritdoc/>
    public long Count => engine.Stats.ApproximateEntryCount;

    /// <inheritdoc/>
    public void Write(long index, long term, StoreBatch batch)
    {
        if (index <= engine.AppliedIndex)
            return;

        // Only the applier thread writes, so one reusable engine batch is enough.
        engineBatch.Clear();
        foreach (var (key, value) in batch.Writes())
        {
            if (value is null)
                engineBatch.Delete(key);
            else
                engineBatch.Put(key, value);
        }

        engine.Apply(engineBatch, index, term);
    }

    /// <inheritdoc/>
    public bool TryGet(ReadOnlySpan<byte> key, out byte[]? value) => engine.TryGet(key, out value);

    /// <inheritdoc/>
    public IKeyValueView OpenView() => engine.OpenView();

    /// <inheritdoc/>
    public StorageFigures? Current
    {
        get
        {
            var stats = engine.Stats;
            return new(stats.MemtableBytes + stats.ImmutableMemtableBytes, stats.TableCount, stats.TotalTableBytes, stats.CompactionsCompleted);
        }
    }

    /// <inheritdoc/>
    public event Action<CompactionSummary>? CompactionCompleted
    {
        add => engine.CompactionCompleted += value;
        remove => engine.CompactionCompleted -= value;
    }

    /// <inheritdoc/>
    public void Dispose() => engine.Dispose();
}
