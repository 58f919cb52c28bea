// A reusable list of puts and deletes applied to the engine as one atomic unit.
// Layout of the internal buffer, one record per operation, in the order they were added:
//   kind u8 | keyLength varint | key | (Put only) valueLength varint | value
// Invariants:
//  - Operations keep their order: a later operation on the same key wins.
//  - Keys and values are copied in, so callers may reuse their spans; Clear keeps the
//    buffer's capacity so a writer that reuses one batch stops allocating.
namespace KvDb.Core.Storage;

/// <summary>A reusable, ordered batch of puts and deletes that <see cref="StorageEngine.Apply"/> makes visible atomically.</summary>
public sealed class WriteBatch
{
    /// <summary>The largest key accepted, in bytes.</summary>
    public const int MaxKeyLength = 64 * 1024;

    /// <summary>The largest value accepted, in bytes.</summary>
    public const int MaxValueLength = 512 * 1024 * 1024;

    private readonly GrowableBuffer records = new();

    /// <summary>The number of operations in the batch.</summary>
    public int Count { get; private set; }

    /// <summary>The bytes the batch's records take, a hint of its memtable footprint.</summary>
    public int ApproximateBytes => records.Length;

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>.</summary>
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(key.Length, MaxKeyLength, nameof(key));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value.Length, MaxValueLength, nameof(value));
        records.AppendByte((byte)EntryKind.Put);
        records.AppendLengthPrefixed(key);
        records.AppendLengthPrefixed(value);
        Count++;
    }

    /// <summary>Removes <paramref name="key"/> (a no-op when it is absent).</summary>
    public void Delete(ReadOnlySpan<byte> key)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(key.Length, MaxKeyLength, nameof(key));
        records.AppendByte((byte)EntryKind.Delete);
        records.AppendLengthPrefixed(key);
        Count++;
    }

    /// <summary>Empties the batch, keeping its buffer for reuse.</summary>
    public void Clear()
    {
        records.Clear();
        Count = 0;
    }

    internal Reader GetReader() => new(records.WrittenSpan);

    /// <summary>Walks the records; the batch must not change meanwhile.</summary>
    internal ref struct Reader(ReadOnlySpan<byte> remaining)
    {
        private ReadOnlySpan<byte> remaining = remaining;

        public EntryKind Kind { get; private set; }

        public ReadOnlySpan<byte> Key { get; private set; }

        public ReadOnlySpan<byte> Value { get; private set; }

        public bool MoveNext()
        {
            if (remaining.IsEmpty)
                return false;
            Kind = (EntryKind)remaining[0];
            remaining = remaining[1..];
            Key = TakeLengthPrefixed();
            Value = Kind == EntryKind.Put ? TakeLengthPrefixed() : default;
            return true;
        }

        private ReadOnlySpan<byte> TakeLengthPrefixed()
        {
            Coding.TryReadLength(remaining, out var length, out var prefix);
            var bytes = remaining.Slice(prefix, length);
            remaining = remaining[(prefix + length)..];
            return bytes;
        }
    }
}
