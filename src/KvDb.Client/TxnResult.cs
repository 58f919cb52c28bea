// What a committed transaction answers: which branch ran, the revision of its log entry, and one
// result per operation of that branch.
// Invariant: every write of the transaction has Revision; gets and ranges read the state there.

namespace KvDb.Client;

/// <summary>The outcome of <see cref="KvTransaction.CommitAsync"/>.</summary>
public sealed class TxnResult
{
    /// <summary>Makes a result.</summary>
    /// <param name="succeeded">Whether every comparison held (so <c>Then</c> ran; else <c>Else</c> did).</param>
    /// <param name="revision">The revision of the transaction's log entry.</param>
    /// <param name="results">One result per operation of the branch that ran.</param>
    public TxnResult(bool succeeded, long revision, IReadOnlyList<TxnOpResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        Succeeded = succeeded;
        Revision = revision;
        Results = results;
    }

    /// <summary>True when every comparison held and the <c>Then</c> branch ran; false when the <c>Else</c> branch ran.</summary>
    public bool Succeeded { get; }

    /// <summary>The revision of the transaction: every write it made has it.</summary>
    public long Revision { get; }

    /// <summary>One result per operation of the branch that ran, in order.</summary>
    public IReadOnlyList<TxnOpResult> Results { get; }

    /// <summary>The entry the get at <paramref name="index"/> read; null when the key did not exist.</summary>
    /// <exception cref="InvalidOperationException">The operation at <paramref name="index"/> is not a get.</exception>
    public TxnEntry? EntryAt(int index)
        => Results[index] is TxnGetResult get ? get.Entry : throw new InvalidOperationException($"Operation {index} of the branch that ran is a {Results[index].Kind}, not a get.");

    /// <inheritdoc/>
    public override string ToString() => $"{(Succeeded ? "succeeded" : "failed")} at {Revision} ({Results.Count} results)";
}
