// The ordered byte map the state machine keeps its state in (user keys, membership map,
// ...; see StoreKeys). The state machine is its only writer.
// Invariants:
//  - Write is called by one thread at a time, with strictly increasing Raft indices.
//  - Readers may call TryGet or OpenView concurrently with Write and always see the state
//    as of some whole batch: never half of one.
//  - A view is a consistent point-in-time image: later writes never show through it.
namespace KvDb.Core.State;

/// <summary>A store of byte keys and values that committed log entries are applied to.</summary>
public interface IKeyValueStore : IDisposable
{
    /// <summary>The Raft index of the last batch written.</summary>
    long AppliedIndex { get; }

    /// <summary>Writes one applied log entry's batch atomically, recording its <paramref name="index"/> and <paramref name="term"/>.</summary>
    void Write(long index, long term, StoreBatch batch);

    /// <summary>Reads the current value of <paramref name="key"/>.</summary>
    bool TryGet(ReadOnlySpan<byte> key, out byte[]? value);

    /// <summary>Opens a point-in-time view for snapshots and ordered scans.</summary>
    IKeyValueView OpenView();

    /// <summary>The number of stored keys (approximate for on-disk engines).</summary>
    long Count { get; }
}

/// <summary>A consistent, point-in-time image of an <see cref="IKeyValueStore"/>.</summary>
public interface IKeyValueView : IDisposable
{
    /// <summary>The Raft index the view reflects.</summary>
    long Index { get; }

    /// <summary>Reads a key as of <see cref="Index"/>.</summary>
    bool TryGet(ReadOnlySpan<byte> key, out byte[]? value);

    /// <summary>Enumerates keys in unsigned byte order from <paramref name="startInclusive"/> up to <paramref name="endExclusive"/>.</summary>
    IEnumerable<KeyValuePair<byte[], byte[]>> Scan(byte[]? startInclusive = null, byte[]? endExclusive = null);
}
