// A transaction as it travels through the Raft log: comparisons, then the operations of the
// branch they choose, all applied by one entry at one revision.
// Invariants:
//  - Plain data, MessagePack with integer keys (new optional fields are appended); what it
//    does is decided by CommandExecutor at its point in the log, the same way on every member.
//  - Validate() refuses what no member could apply the same way: a comparison or operation
//    without a key, an unknown target, operator or kind. Limits that depend on flags (number of
//    operations, sizes, keys written twice) are the API's to check before proposing.
using KvDb.Core.Commands;
using MessagePack;

namespace KvDb.Core.Transactions;

/// <summary>What a comparison looks at.</summary>
public enum TxnTarget : byte
{
    /// <summary>The key's revision (its last write; 0 when absent).</summary>
    Revision = 0,

    /// <summary>The revision the key was created at (0 when absent).</summary>
    CreateRevision = 1,

    /// <summary>Writes since the key was created (0 when absent).</summary>
    Version = 2,

    /// <summary>The value's bytes, compared byte by byte (an absent key has no value).</summary>
    Value = 3,

    /// <summary>Whether the key exists.</summary>
    Exists = 4,

    /// <summary>How many keys the range holds: only in a range comparison (RangeTxnCommand), never in a TxnCommand.</summary>
    Count = 5,
}

/// <summary>How a comparison compares.</summary>
public enum TxnOperator : byte
{
    /// <summary>Equal.</summary>
    Equal = 0,

    /// <summary>Not equal.</summary>
    NotEqual = 1,

    /// <summary>Less than.</summary>
    Less = 2,

    /// <summary>Greater than.</summary>
    Greater = 3,
}

/// <summary>What an operation does.</summary>
public enum TxnOperationKind : byte
{
    /// <summary>Stores a value under a key.</summary>
    Put = 0,

    /// <summary>Deletes one key.</summary>
    Delete = 1,

    /// <summary>Deletes every key in [Key, End) (End null: to the last key).</summary>
    DeleteRange = 2,

    /// <summary>Reads one key.</summary>
    Get = 3,

    /// <summary>Reads the keys in [Key, End) (End null: to the last key), at most Limit.</summary>
    Range = 4,
}

/// <summary>One comparison of a transaction.</summary>
[MessagePackObject]
public sealed class TxnComparison
{
    /// <summary>The key compared.</summary>
    [Key(0)]
    public required byte[] Key { get; init; }

    /// <summary>What is compared.</summary>
    [Key(1)]
    public TxnTarget Target { get; init; }

    /// <summary>How.</summary>
    [Key(2)]
    public TxnOperator Operator { get; init; }

    /// <summary>The number compared with (revision targets; 1 or 0 for exists).</summary>
    [Key(3)]
    public long Number { get; init; }

    /// <summary>The bytes compared with (value target).</summary>
    [Key(4)]
    public byte[]? Bytes { get; init; }
}

/// <summary>One operation of a transaction's branch.</summary>
[MessagePackObject]
public sealed class TxnOperation
{
    /// <summary>What the operation does.</summary>
    [Key(0)]
    public TxnOperationKind Kind { get; init; }

    /// <summary>The key, or the start of a range (inclusive).</summary>
    [Key(1)]
    public required byte[] Key { get; init; }

    /// <summary>The end of a range (exclusive); null: to the last key.</summary>
    [Key(2)]
    public byte[]? End { get; init; }

    /// <summary>The value of a put.</summary>
    [Key(3)]
    public byte[]? Value { get; init; }

    /// <summary>What <see cref="Value"/> holds.</summary>
    [Key(4)]
    public ValueKind ValueKind { get; init; }

    /// <summary>The most keys a range returns.</summary>
    [Key(5)]
    public int Limit { get; init; }

    /// <summary>The lease a put attaches its key to (0: none).</summary>
    [Key(6)]
    public long Lease { get; init; }

    /// <summary>Whether the operation writes.</summary>
    [IgnoreMember]
    public bool Writes => Kind is TxnOperationKind.Put or TxnOperationKind.Delete or TxnOperationKind.DeleteRange;
}

/// <summary>Compares, then applies <see cref="Then"/> when every comparison holds and <see cref="Else"/> otherwise, as one entry.</summary>
[MessagePackObject]
public sealed class TxnCommand : KvCommand
{
    /// <summary>The comparisons; all must hold for <see cref="Then"/>.</summary>
    [Key(0)]
    public required TxnComparison[] Comparisons { get; init; }

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
           + Comparisons.Sum(static c => 16 + c.Key.Length + (c.Bytes?.Length ?? 0))
           + Then.Concat(Else).Sum(static o => 16 + o.Key.Length + (o.End?.Length ?? 0) + (o.Value?.Length ?? 0));

    /// <summary>Every key or range start the transaction names, in comparisons and both branches.</summary>
    public IEnumerable<byte[]> Keys()
        => Comparisons.Select(static c => c.Key).Concat(Then.Concat(Else).Select(static o => o.Key));

    /// <inheritdoc/>
    public override string? Validate()
    {
        if (Comparisons is null || Then is null || Else is null)
            return "a transaction without its comparisons or branches";
        foreach (var comparison in Comparisons)
        {
            // Count belongs to range comparisons, which only RangeTxnCommand carries.
            if (comparison?.Key is not { Length: > 0 } || !Enum.IsDefined(comparison.Target) || comparison.Target is TxnTarget.Count || !Enum.IsDefined(comparison.Operator))
                return "a transaction comparison without a key, or with an unknown target or operator";
        }

        return ValidateBranches(Then, Else);
    }

    /// <summary>Why the operations of <paramref name="then"/> or <paramref name="otherwise"/> are malformed, or null.</summary>
    internal static string? ValidateBranches(TxnOperation[] then, TxnOperation[] otherwise)
    {
        foreach (var operation in then.Concat(otherwise))
        {
            if (operation?.Key is null || !Enum.IsDefined(operation.Kind) || operation.Limit < 0)
                return "a transaction operation without a key, or of an unknown kind";
            if (operation.Key.Length == 0 && operation.Kind is not (TxnOperationKind.Range or TxnOperationKind.DeleteRange))
                return "a transaction operation on an empty key";
            if (operation.Kind is TxnOperationKind.Put && operation.Value is null)
                return "a transaction put without a value";
        }

        return null;
    }
}
