// A key's value waiting for its operator: Compare.Value("config/mode") == "on" makes a
// TxnComparison. kvdb compares the value's bytes with the text's UTF-8 bytes; an absent key's
// value only satisfies !=.
using System.ComponentModel;

namespace KvDb.Client;

/// <summary>A key's value, to compare with text: <c>Compare.Value("k") == "on"</c> (byte by byte, as UTF-8).</summary>
public sealed class CompareValueTarget
{
    internal CompareValueTarget(string key)
    {
        KeyPaths.Validate(key);
        Key = key;
    }

    /// <summary>The key.</summary>
    public string Key { get; }

    /// <summary>The value equals <paramref name="text"/>.</summary>
    public static TxnComparison operator ==(CompareValueTarget target, string text) => Make(target, TxnOperator.Equal, text);

    /// <summary>The value differs from <paramref name="text"/> (or the key is absent).</summary>
    public static TxnComparison operator !=(CompareValueTarget target, string text) => Make(target, TxnOperator.NotEqual, text);

    /// <summary>The value sorts before <paramref name="text"/> (unsigned bytes).</summary>
    public static TxnComparison operator <(CompareValueTarget target, string text) => Make(target, TxnOperator.Less, text);

    /// <summary>The value sorts after <paramref name="text"/> (unsigned bytes).</summary>
    public static TxnComparison operator >(CompareValueTarget target, string text) => Make(target, TxnOperator.Greater, text);

    /// <summary>The value compared with <paramref name="text"/> by <paramref name="op"/> (for comparisons built from data).</summary>
    public TxnComparison Is(TxnOperator op, string text) => Make(this, op, text);

    private static TxnComparison Make(CompareValueTarget target, TxnOperator op, string text)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(text);
        return new TxnComparison(target.Key, TxnTarget.Value, op, 0, text);
    }

    /// <summary>Reference equality: compare a target with text to make a comparison.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public override bool Equals(object? obj) => ReferenceEquals(this, obj);

    /// <summary>Reference hash.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);
}
