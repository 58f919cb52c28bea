// The result of one operation of the branch a transaction ran, in the order of its operations:
// TxnPutResult, TxnDeleteResult, TxnGetResult or TxnRangeResult (match on the type).
// Invariant: a transaction's results are exactly one per operation of the branch that ran.

namespace KvDb.Client;

/// <summary>The result of one operation of a transaction; one of <see cref="TxnPutResult"/>, <see cref="TxnDeleteResult"/>, <see cref="TxnGetResult"/>, <see cref="TxnRangeResult"/>.</summary>
public abstract class TxnOpResult
{
    private protected TxnOpResult()
    {
    }

    /// <summary>What the operation was.</summary>
    public abstract TxnOpKind Kind { get; }
}

/// <summary>A put's result.</summary>
/// <param name="revision">The key's new revision (the transaction's).</param>
public sealed class TxnPutResult(long revision) : TxnOpResult
{
    /// <inheritdoc/>
    public override TxnOpKind Kind => TxnOpKind.Put;

    /// <summary>The key's new revision: the transaction's revision.</summary>
    public long Revision { get; } = revision;
}

/// <summary>A delete's result (of one key, a prefix or a range).</summary>
/// <param name="revision">The revision of the deletion.</param>
/// <param name="deleted">How many keys were deleted.</param>
public sealed class TxnDeleteResult(long revision, long deleted) : TxnOpResult
{
    /// <inheritdoc/>
    public override TxnOpKind Kind => TxnOpKind.Delete;

    /// <summary>The revision of the deletion: the transaction's.</summary>
    public long Revision { get; } = revision;

    /// <summary>How many keys were deleted (0 when none existed).</summary>
    public long Deleted { get; } = deleted;
}

/// <summary>A get's result.</summary>
/// <param name="entry">The key, or null when it does not exist.</param>
public sealed class TxnGetResult(TxnEntry? entry) : TxnOpResult
{
    /// <inheritdoc/>
    public override TxnOpKind Kind => TxnOpKind.Get;

    /// <summary>The key as read, or null when it does not exist.</summary>
    public TxnEntry? Entry { get; } = entry;
}

/// <summary>A range's result.</summary>
/// <param name="items">The keys, in key order.</param>
/// <param name="more">Whether keys beyond the limit exist.</param>
public sealed class TxnRangeResult(IReadOnlyList<TxnEntry> items, bool more) : TxnOpResult
{
    /// <inheritdoc/>
    public override TxnOpKind Kind => TxnOpKind.Range;

    /// <summary>The keys, in unsigned byte order.</summary>
    public IReadOnlyList<TxnEntry> Items { get; } = items;

    /// <summary>True when the range holds more keys than its limit let through.</summary>
    public bool More { get; } = more;
}
