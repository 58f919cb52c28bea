// One operation of a transaction branch ("then" or "else"), made by Op: a put (with an optional
// lease), a delete of a key, a prefix or a range, a get, or a range read with a limit.
// Invariants: immutable; Key is the key, or the range's start (a prefix is the range from the
// prefix to its end, End null and IsPrefix true); Value is set for puts only.
using KvDb.Contracts;

namespace KvDb.Client;

/// <summary>An operation of a <see cref="KvTransaction"/> branch; see <see cref="Op"/>.</summary>
public sealed class TxnOp
{
    internal TxnOp(TxnOpKind kind, string key, string? end = null, bool isPrefix = false, byte[]? value = null, string? text = null, long? lease = null, int limit = 0)
    {
        Kind = kind;
        Key = key;
        End = end;
        IsPrefix = isPrefix;
        Value = value;
        Text = text;
        Lease = lease;
        Limit = limit;
    }

    /// <summary>What it does.</summary>
    public TxnOpKind Kind { get; }

    /// <summary>The key; for a range or a range delete, the start or the prefix.</summary>
    public string Key { get; }

    /// <summary>The exclusive end of a range (null: to the end of the keys, or the prefix's end when <see cref="IsPrefix"/>).</summary>
    public string? End { get; }

    /// <summary>True when <see cref="Key"/> is a prefix (a range or range delete of every key starting with it).</summary>
    public bool IsPrefix { get; }

    /// <summary>The bytes a put stores; null for other operations.</summary>
    public byte[]? Value { get; }

    /// <summary>The lease a put attaches its key to; null for none.</summary>
    public long? Lease { get; }

    /// <summary>The most keys a range returns (1 to <see cref="KvClient.MaxPageSize"/>); 0 for other operations.</summary>
    public int Limit { get; }

    // A put's value as given, when it was text: sent as text, not base64.
    private string? Text { get; }

    /// <summary>The operation as the contract's record: a put's value as text when it was given as text, else base64.</summary>
    internal TxnOpJson ToContract() => Kind switch
    {
        TxnOpKind.Put => new() { Put = new() { Key = Key, Value = Text, ValueBase64 = Text is null ? Value : null, Lease = Lease } },
        TxnOpKind.Delete => new() { Delete = new() { Key = Key } },
        TxnOpKind.DeleteRange when IsPrefix => new() { Delete = new() { Prefix = Key } },
        TxnOpKind.DeleteRange => new() { Delete = new() { Start = Key, End = End } },
        TxnOpKind.Get => new() { Get = new() { Key = Key } },
        _ when IsPrefix => new() { Range = new() { Prefix = Key, Limit = Limit } },
        _ => new() { Range = new() { Start = Key, End = End, Limit = Limit } },
    };

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        TxnOpKind.Put => $"put {Key}",
        TxnOpKind.Delete => $"delete {Key}",
        TxnOpKind.Get => $"get {Key}",
        _ when IsPrefix => $"{(Kind is TxnOpKind.Range ? "range" : "delete")} prefix {Key}",
        _ => $"{(Kind is TxnOpKind.Range ? "range" : "delete")} [{Key}, {End ?? "end"})",
    };
}
