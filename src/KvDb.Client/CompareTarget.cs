// A numeric part of a key (revision, create revision, version) waiting for its operator:
// Compare.Revision("acct/a") == 41 makes a TxnComparison. Only the comparison operators are
// meaningful; equality of two targets is reference equality and nothing compares targets.
using System.ComponentModel;

namespace KvDb.Client;

/// <summary>A key's revision, create revision or version, to compare with a number: <c>Compare.Revision("k") == 41</c>.</summary>
public sealed class CompareTarget
{
    internal CompareTarget(string key, TxnTarget target)
    {
        KeyPaths.Validate(key);
        Key = key;
        Target = target;
    }

    internal CompareTarget(CompareRange range, TxnTarget target)
    {
        Key = range.Start;
        Range = range;
        Target = target;
    }

    /// <summary>The key, or the first key of <see cref="Range"/>.</summary>
    public string Key { get; }

    /// <summary>The range compared (every key of it must satisfy the comparison); null for one key.</summary>
    public CompareRange? Range { get; }

    /// <summary>What is compared.</summary>
    public TxnTarget Target { get; }

    /// <summary>The target equals <paramref name="number"/>.</summary>
    public static TxnComparison operator ==(CompareTarget target, long number) => Make(target, TxnOperator.Equal, number);

    /// <summary>The target differs from <paramref name="number"/>.</summary>
    public static TxnComparison operator !=(CompareTarget target, long number) => Make(target, TxnOperator.NotEqual, number);

    /// <summary>The target is below <paramref name="number"/>.</summary>
    public static TxnComparison operator <(CompareTarget target, long number) => Make(target, TxnOperator.Less, number);

    /// <summary>The target is above <paramref name="number"/>.</summary>
    public static TxnComparison operator >(CompareTarget target, long number) => Make(target, TxnOperator.Greater, number);

    /// <summary>The target compared with <paramref name="number"/> by <paramref name="op"/> (for comparisons built from data).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="number"/> is negative.</exception>
    public TxnComparison Is(TxnOperator op, long number) => Make(this, op, number);

    private static TxnComparison Make(CompareTarget target, TxnOperator op, long number)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentOutOfRangeException.ThrowIfNegative(number);
        return new TxnComparison(target.Key, target.Target, op, number, null, target.Range);
    }

    /// <summary>Reference equality: compare a target with a number to make a comparison.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public override bool Equals(object? obj) => ReferenceEquals(this, obj);

    /// <summary>Reference hash.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);
}
