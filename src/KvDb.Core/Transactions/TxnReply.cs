// What a transaction answered, computed by the member that applies it at its point in the log
// and carried back to the client's member as bytes (CommandResult.Reply), so that gets and
// ranges inside a transaction read exactly the state the transaction saw, wherever the client is.
using KvDb.Core.Commands;
using MessagePack;

namespace KvDb.Core.Transactions;

/// <summary>One key as a transaction read it.</summary>
[MessagePackObject]
public sealed class TxnItem
{
    /// <summary>The user key.</summary>
    [Key(0)]
    public required byte[] Key { get; init; }

    /// <summary>The value bytes.</summary>
    [Key(1)]
    public required byte[] Value { get; init; }

    /// <summary>What <see cref="Value"/> holds.</summary>
    [Key(2)]
    public ValueKind Kind { get; init; }

    /// <summary>The key's revision.</summary>
    [Key(3)]
    public long Revision { get; init; }

    /// <summary>The revision the key was created at.</summary>
    [Key(4)]
    public long CreateRevision { get; init; }

    /// <summary>Writes since the key was created.</summary>
    [Key(5)]
    public long Version { get; init; }
}

/// <summary>The result of one operation, in the order of its branch.</summary>
[MessagePackObject]
public sealed class TxnOperationResult
{
    /// <summary>The operation's kind.</summary>
    [Key(0)]
    public TxnOperationKind Kind { get; init; }

    /// <summary>Puts and deletes: the transaction's revision.</summary>
    [Key(1)]
    public long Revision { get; init; }

    /// <summary>Deletes: how many keys were deleted.</summary>
    [Key(2)]
    public long Deleted { get; init; }

    /// <summary>Gets: the key, or null when absent.</summary>
    [Key(3)]
    public TxnItem? Item { get; init; }

    /// <summary>Ranges: the keys in order.</summary>
    [Key(4)]
    public TxnItem[]? Items { get; init; }

    /// <summary>Ranges: whether more keys follow the limit.</summary>
    [Key(5)]
    public bool More { get; init; }
}

/// <summary>A transaction's answer.</summary>
[MessagePackObject]
public sealed class TxnReply
{
    /// <summary>Whether every comparison held (so the then branch ran).</summary>
    [Key(0)]
    public bool Succeeded { get; init; }

    /// <summary>One result per operation of the branch that ran.</summary>
    [Key(1)]
    public required TxnOperationResult[] Results { get; init; }

    /// <summary>Encodes the reply.</summary>
    public byte[] Encode() => ReplyCodec.Encode(this);

    /// <summary>Decodes a reply made by <see cref="Encode"/>.</summary>
    public static TxnReply Decode(byte[] bytes) => ReplyCodec.Decode<TxnReply>(bytes);

    /// <summary>A hash of everything in <paramref name="txn"/> but its idempotency key, so a reused key with another transaction is told apart from a retry.</summary>
    public static ulong FingerprintOf(TxnCommand txn)
        => ReplyCodec.Fingerprint(new TxnCommand { Comparisons = txn.Comparisons, Then = txn.Then, Else = txn.Else });

    /// <summary>As <see cref="FingerprintOf(TxnCommand)"/>, for a transaction with range comparisons.</summary>
    public static ulong FingerprintOf(RangeTxnCommand txn)
        => ReplyCodec.Fingerprint(new RangeTxnCommand { Comparisons = txn.Comparisons, Then = txn.Then, Else = txn.Else });
}
