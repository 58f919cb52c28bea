// One operation of a transaction branch ("then" or "else"), made by Op: a put (with an optional
// lease), a delete of a key, a prefix or a range, a get, or a range read with a limit.
// Invariants: immutable; Key is the key, or the range's start (a prefix is the range from the
// prefix to its end, End null and IsPrefix true); Value is set for puts only.
using System.Text.Json;

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

    internal void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        switch (Kind)
        {
            case TxnOpKind.Put:
                json.WriteStartObject("put");
                json.WriteString("key", Key);
                if (Text is not null)
                    json.WriteString("value", Text);
                else
                    json.WriteBase64String("valueBase64", Value);
                if (Lease is { } lease)
                    json.WriteNumber("lease", lease);
                json.WriteEndObject();
                break;
            case TxnOpKind.Delete:
                json.WriteStartObject("delete");
                json.WriteString("key", Key);
                json.WriteEndObject();
                break;
            case TxnOpKind.DeleteRange:
                json.WriteStartObject("delete");
                WriteRange(json);
                json.WriteEndObject();
                break;
            case TxnOpKind.Get:
                json.WriteStartObject("get");
                json.WriteString("key", Key);
                json.WriteEndObject();
                break;
            default:
                json.WriteStartObject("range");
                WriteRange(json);
                json.WriteNumber("limit", Limit);
                json.WriteEndObject();
                break;
        }

        json.WriteEndObject();
    }

    private void WriteRange(Utf8JsonWriter json)
    {
        if (IsPrefix)
        {
            json.WriteString("prefix", Key);
            return;
        }

        json.WriteString("start", Key);
        if (End is not null)
            json.WriteString("end", End);
    }

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
