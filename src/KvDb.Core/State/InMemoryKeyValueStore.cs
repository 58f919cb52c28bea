// A store held entirely in memory: a test double for the state machine's logic (the members
// themselves always run on the storage engine, on tmpfs with --in-memory).
// Invariants:
//  - The map is an immutable sorted tree replaced by one reference write per batch, so
//    readers are lock-free and always see whole batches, and a view costs one pointer copy.
//  - Only the single writer thread replaces 'current'.
using System.Collections.Immutable;

namespace KvDb.Core.State;

/// <summary>An <see cref="IKeyValueStore"/> kept in memory as an immutable sorted map.</summary>
public sealed class InMemoryKeyValueStore : IKeyValueStore
{
    private static readonly ImmutableSortedDictionary<byte[], byte[]> Empty =
        ImmutableSortedDictionary.Create<byte[], byte[]>(ByteArrayComparer.Instance);

    private volatile Snapshot current = new(Empty, 0L);

    /// <inheritdoc/>
    public long AppliedIndex => current.Index;

    /// <inheritdoc/>
    public long Count => current.Map.Count;

    /// <inheritdoc/>
    public void Write(long index, long term, StoreBatch batch)
    {
        var snapshot = current;
        if (index <= snapshot.Index)
            return;

        var builder = snapshot.Map.ToBuilder();
        foreach (var (key, value) in batch.Writes())
        {
            if (value is null)
                builder.Remove(key);
            else
                builder[key] = value;
        }

        current = new(builder.ToImmutable(), index);
    }

    /// <inheritdoc/>
    public bool TryGet(ReadOnlySpan<byte> key, out byte[]? value) => current.TryGet(key, out value);

    /// <inheritdoc/>
    public IKeyValueView OpenView() => current;

    /// <inheritdoc/>
    public void Dispose()
    {
    }

    private sealed class Snapshot(ImmutableSortedDictionary<byte[], byte[]> map, long index) : IKeyValueView
    {
        internal readonly ImmutableSortedDictionary<byte[], byte[]> Map = map;

        public long Index { get; } = index;

        public bool TryGet(ReadOnlySpan<byte> key, out byte[]? value)
        {
            // The immutable map needs an array key; keys are small, so one copy is cheap.
            var found = Map.TryGetValue(key.ToArray(), out var v);
            value = v;
            return found;
        }

        public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(byte[]? startInclusive, byte[]? endExclusive)
        {
            foreach (var pair in Map)
            {
                if (startInclusive is not null && ByteArrayComparer.Instance.Compare(pair.Key, startInclusive) < 0)
                    continue;
                if (endExclusive is not null && ByteArrayComparer.Instance.Compare(pair.Key, endExclusive) >= 0)
                    yield break;
                yield return pair;
            }
        }

        public void Dispose()
        {
        }
    }
}
