// Everything a reader needs, captured at once: the active memtable, the memtable being
// flushed (if any) and the TableSet of tables.
// Invariants:
//  - Immutable; the engine publishes a new ReadState whenever any part changes, and a
//    reader that acquired one keeps a consistent picture however the engine moves on.
//  - Every entry in TableSet and Immutable is older than every entry Mutable receives later,
//    and Mutable.AppliedPoint bounds them all, so reading at that sequence sees whole
//    batches only and never needs versions that compaction dropped.
//  - Reference-counted: the engine's current pointer holds one reference, each lookup,
//    view and scan holds one; the last release releases the TableSet (and so its tables).
namespace KvDb.Core.Storage;

internal sealed class ReadState
{
    private const int StackLookupKeyLimit = 512;
    private int references = 1;

    public ReadState(Memtable mutable, Memtable? immutable, TableSet version)
    {
        Mutable = mutable;
        Immutable = immutable;
        version.Acquire();
        TableSet = version;
    }

    public Memtable Mutable { get; }

    public Memtable? Immutable { get; }

    public TableSet TableSet { get; }

    public bool TryAcquire()
    {
        for (var seen = Volatile.Read(ref references); seen > 0; seen = Volatile.Read(ref references))
        {
            if (Interlocked.CompareExchange(ref references, seen + 1, seen) == seen)
                return true;
        }

        return false;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref references) == 0)
            TableSet.Release();
    }

    /// <summary>Reads <paramref name="userKey"/> as of <paramref name="snapshot"/>: memtables first, then tables newest first.</summary>
    public bool TryGet(ReadOnlySpan<byte> userKey, ulong snapshot, out byte[]? value)
    {
        var length = InternalKey.EncodedLength(userKey);
        byte[]? rented = null;
        var lookupKey = length <= StackLookupKeyLimit
            ? stackalloc byte[StackLookupKeyLimit]
            : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(length));
        try
        {
            lookupKey = lookupKey[..length];
            InternalKey.Write(lookupKey, userKey, snapshot, InternalKey.SeekKind);
            var result = LookUp(lookupKey, out value);
            return result == LookupResult.Found;
        }
        finally
        {
            if (rented is not null)
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>A merged iterator over every source, newest first.</summary>
    public InternalIterator NewIterator()
    {
        var children = new List<InternalIterator> { Mutable.NewIterator() };
        if (Immutable is not null)
            children.Add(Immutable.NewIterator());
        TableSet.AddIterators(children, fillCache: true);
        return new MergingIterator(children);
    }

    private LookupResult LookUp(ReadOnlySpan<byte> lookupKey, out byte[]? value)
    {
        var result = LookUp(Mutable, lookupKey, out value);
        if (result == LookupResult.NotFound && Immutable is not null)
            result = LookUp(Immutable, lookupKey, out value);
        if (result != LookupResult.NotFound)
            return result;
        if (TableSet.TableCount == 0)
            return LookupResult.NotFound;
        return TableSet.TryGet(lookupKey, BloomFilter.Hash(InternalKey.UserKey(lookupKey)), out value);
    }

    private static LookupResult LookUp(Memtable memtable, ReadOnlySpan<byte> lookupKey, out byte[]? value)
    {
        var result = memtable.TryGet(lookupKey, out var found);
        value = result == LookupResult.Found ? found.ToArray() : null;
        return result;
    }
}
