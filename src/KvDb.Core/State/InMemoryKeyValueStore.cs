// A key-value store held entirely in memory, used until (and beside) the on-disk engine.
// Invariants:
//  - The map is an immutable sorted tree replaced by one reference write per batch, so
//    readers are lock-free and always see whole batches, and a view costs one pointer copy.
//  - Only the single applier thread writes the 'map' and 'appliedIndex' fields.
using System.Collections.Immutable;
using KvDb.Core.Commands;

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
    public void Apply(long index, ReadOnlySpan<KvCommand> commands, Span<CommandOutcome> outcomes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outcomes.Length, commands.Length, nameof(outcomes));
        var snapshot = current;
        if (index <= snapshot.Index)
            return;

        var builder = snapshot.Map.ToBuilder();
        for (var i = 0; i < commands.Length; i++)
            outcomes[i] = ApplyOne(builder, commands[i]);

        current = new(builder.ToImmutable(), index);
    }

    private static CommandOutcome ApplyOne(ImmutableSortedDictionary<byte[], byte[]>.Builder map, KvCommand command)
    {
        switch (command)
        {
            case PutCommand put:
                map[put.Key] = put.Value;
                return CommandOutcome.Applied;
            case DeleteCommand delete:
                return map.Remove(delete.Key) ? CommandOutcome.Applied : CommandOutcome.NotFound;
            default:
                throw new InvalidDataException($"Unknown command {command.GetType().Name}.");
        }
    }

    /// <inheritdoc/>
    public bool TryGet(ReadOnlySpan<byte> key, out byte[]? value) => current.TryGet(key, out value);

    /// <inheritdoc/>
    public IKeyValueView OpenView() => current;

    /// <inheritdoc/>
    public void Restore(long index, IEnumerable<KeyValuePair<byte[], byte[]>> contents)
    {
        var builder = Empty.ToBuilder();
        foreach (var (key, value) in contents)
            builder[key] = value;
        current = new(builder.ToImmutable(), index);
    }

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
