// A transaction whose comparisons may each cover a range of keys ("every key of config/ was
// last written at or before revision 57", "config/ holds 12 keys"), as etcd's compare with a
// range_end. A command kind of its own, not a field added to TxnCommand: a member of an earlier
// release would decode such a field away and apply a different check, so this kind is only
// proposed once every member advertises it (ClusterVersion), and plain transactions stay Txn.
// Invariants:
//  - A range comparison holds when it holds for every key of [Key, End) (End null: to the last
//    key), read with the entry's pending writes like a single key; on a range without keys it
//    is taken for one absent key (revision 0, no value), as etcd does. "Count" compares the
//    number of keys of the range and is only valid on a range.
//  - Two range comparisons, revision < N+1 and count == C, hold exactly when the range is as it
//    was at N with C keys: a put after N leaves a key with a later revision, a delete leaves one
//    key fewer (restore-prefix guards a prefix so).
//  - The cost of a range comparison is one scan of its keys when the entry applies, on every
//    member; the API bounds how many comparisons a transaction has (--max-txn-ops).
//  - Plain data, MessagePack with integer keys; Validate refuses what no member could apply
//    the same way, as TxnCommand.Validate does.
using KvDb.Core.Commands;
using MessagePack;

namespace KvDb.Core.Transactions;

/// <summary>One comparison of a <see cref="RangeTxnCommand"/>: on one key, or on every key of a range.</summary>
[MessagePackObject]
public sealed class TxnRangeComparison
{
    /// <summary>The key compared, or the first key of the range (may be empty for a range).</summary>
    [Key(0)]
    public required byte[] Key { get; init; }

    /// <summary>What is compared.</summary>
    [Key(1)]
    public TxnTarget Target { get; init; }

    /// <summary>How.</summary>
    [Key(2)]
    public TxnOperator Operator { get; init; }

    /// <summary>The number compared with (revision targets and count; 1 or 0 for exists).</summary>
    [Key(3)]
    public long Number { get; init; }

    /// <summary>The bytes compared with (value target).</summary>
    [Key(4)]
    public byte[]? Bytes { get; init; }

    /// <summary>Whether the comparison covers [<see cref="Key"/>, <see cref="End"/>) rather than one key.</summary>
    [Key(5)]
    public bool IsRange { get; init; }

    /// <summary>The range's exclusive end; null: to the last key. Only with <see cref="IsRange"/>.</summary>
    [Key(6)]
    public byte[]? End { get; init; }

    /// <summary>The same comparison on one key, as a <see cref="TxnCommand"/> carries it (not for a range).</summary>
    public TxnComparison ToSingleKey() => new() { Key = Key, Target = Target, Operator = Operator, Number = Number, Bytes = Bytes };
}

/// <summary>A transaction with comparisons over ranges; otherwise as <see cref="TxnCommand"/>.</summary>
[MessagePackObject]
public sealed class RangeTxnCommand : KvCommand
{
    /// <summary>The comparisons; all must hold for <see cref="Then"/>.</summary>
    [Key(0)]
    public required TxnRangeComparison[] Comparisons { get; init; }

    /// <summary>The operations when the comparisons hold.</summary>
    [Key(1)]
    public required TxnOperation[] Then { get; init; }

    /// <summary>The operations when they do not.</summary>
    [Key(2)]
    public required TxnOperation[] Else { get; init; }

    /// <summary>A client-chosen key that makes retries of this transaction exactly-once.</summary>
    [Key(3)]
    public string? IdempotencyKey { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize
        => 32 + (IdempotencyKey?.Length ?? 0)
           + Comparisons.Sum(static c => 16 + c.Key.Length + (c.End?.Length ?? 0) + (c.Bytes?.Length ?? 0))
           + Then.Concat(Else).Sum(static o => 16 + o.Key.Length + (o.End?.Length ?? 0) + (o.Value?.Length ?? 0));

    /// <summary>Every key or range bound the transaction names, in comparisons and both branches.</summary>
    public IEnumerable<byte[]> Keys()
        => Comparisons.SelectMany(static c => c.End is null ? new[] { c.Key } : new[] { c.Key, c.End })
            .Concat(Then.Concat(Else).Select(static o => o.Key));

    /// <inheritdoc/>
    public override string? Validate()
    {
        if (Comparisons is null || Then is null || Else is null)
            return "a transaction without its comparisons or branches";
        foreach (var comparison in Comparisons)
        {
            if (comparison?.Key is null || !Enum.IsDefined(comparison.Target) || !Enum.IsDefined(comparison.Operator))
                return "a transaction comparison without a key, or with an unknown target or operator";
            if (!comparison.IsRange && (comparison.Key.Length == 0 || comparison.End is not null || comparison.Target is TxnTarget.Count))
                return "a single-key transaction comparison with an empty key, an end or a count";
            if (comparison.IsRange && comparison.End is { } end && comparison.Key.AsSpan().SequenceCompareTo(end) > 0)
                return "a transaction range comparison whose start is after its end";
        }

        return TxnCommand.ValidateBranches(Then, Else);
    }
}
