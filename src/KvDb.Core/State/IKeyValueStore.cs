// The state the Raft log drives. The state machine is its only writer.
// Invariants:
//  - Apply is called by one thread at a time, with strictly increasing Raft indices.
//  - Readers may call TryGet or OpenView concurrently with Apply and always see the state
//    as of some whole batch: never half of one.
//  - A view is a consistent point-in-time image: later writes never show through it.
using KvDb.Core.Commands;

namespace KvDb.Core.State;

/// <summary>A key-value store that the replicated state machine applies committed commands to.</summary>
public interface IKeyValueStore : IDisposable
{
    /// <summary>The Raft index of the last batch applied.</summary>
    long AppliedIndex { get; }

    /// <summary>Applies one committed batch, writing each command's outcome into <paramref name="outcomes"/>.</summary>
    void Apply(long index, ReadOnlySpan<KvCommand> commands, Span<CommandOutcome> outcomes);

    /// <summary>Reads the current value of <paramref name="key"/>.</summary>
    bool TryGet(ReadOnlySpan<byte> key, out byte[]? value);

    /// <summary>Opens a point-in-time view for snapshots and ordered scans.</summary>
    IKeyValueView OpenView();

    /// <summary>Replaces the whole state with the contents of a snapshot.</summary>
    void Restore(long index, IEnumerable<KeyValuePair<byte[], byte[]>> contents);

    /// <summary>The number of live keys (approximate for on-disk engines).</summary>
    long Count { get; }
}

/// <summary>A consistent, point-in-time image of an <see cref="IKeyValueStore"/>.</summary>
public interface IKeyValueView : IDisposable
{
    /// <summary>The Raft index the view reflects.</summary>
    long Index { get; }

    /// <summary>Reads a key as of <see cref="Index"/>.</summary>
    bool TryGet(ReadOnlySpan<byte> key, out byte[]? value);

    /// <summary>Enumerates live keys in byte order from <paramref name="startInclusive"/> up to <paramref name="endExclusive"/>.</summary>
    IEnumerable<KeyValuePair<byte[], byte[]>> Scan(byte[]? startInclusive = null, byte[]? endExclusive = null);
}
