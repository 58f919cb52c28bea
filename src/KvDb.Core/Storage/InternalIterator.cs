// The cursor every sorted source of internal keys implements: memtables, blocks, tables,
// levels and merges of them.
// Invariants:
//  - Entries come in InternalKey order; Seek(target) lands on the first entry >= target.
//  - Key and Value are valid only while Valid is true and until the next move: callers that
//    keep them must copy.
namespace KvDb.Core.Storage;

internal abstract class InternalIterator : IDisposable
{
    public abstract bool Valid { get; }

    public abstract ReadOnlySpan<byte> Key { get; }

    public abstract ReadOnlySpan<byte> Value { get; }

    public abstract void SeekToFirst();

    public abstract void Seek(ReadOnlySpan<byte> target);

    public abstract void Next();

    public virtual void Dispose()
    {
    }
}

/// <summary>What a point lookup found for a user key.</summary>
internal enum LookupResult
{
    /// <summary>The source has no version of the key visible at the snapshot: look further.</summary>
    NotFound,

    /// <summary>The newest visible version is a value.</summary>
    Found,

    /// <summary>The newest visible version is a tombstone: the key is absent, stop looking.</summary>
    Deleted,
}
