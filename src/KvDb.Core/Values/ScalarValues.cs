// The five scalar kinds of TypedValue: Bool, Float, Int, UInt and Str.
// Invariants:
//  - Depth is 1.
//  - FloatValue.Value is finite and never -0.0 (OrderedFloat treats -0.0 == 0.0; storing one
//    representative keeps equal values byte-identical when encoded).
//  - StrValue.Value is well-formed UTF-16 and is compared by UTF-8 byte order.
namespace KvDb.Core.Values;

/// <summary>A <c>Bool</c> value. false sorts before true.</summary>
public sealed class BoolValue : TypedValue
{
    internal BoolValue(bool value)
        : base(1)
    {
        Value = value;
    }

    /// <summary>The boolean.</summary>
    public bool Value { get; }

    /// <inheritdoc/>
    public override TypedValueKind Kind => TypedValueKind.Bool;

    private protected override int CompareSameKind(TypedValue other) => Value.CompareTo(((BoolValue)other).Value);

    private protected override bool EqualsSameKind(TypedValue other) => Value == ((BoolValue)other).Value;

    private protected override int ComputeHash() => HashCode.Combine(TypedValueKind.Bool, Value);
}

/// <summary>
/// A <c>Float</c> value: a finite double. NaN and ±Infinity are rejected (JSON cannot carry them),
/// and -0.0 is normalized to 0.0 because <c>OrderedFloat</c> considers them equal.
/// </summary>
public sealed class FloatValue : TypedValue
{
    internal FloatValue(double value)
        : base(1)
    {
        if (!double.IsFinite(value))
            throw new ArgumentOutOfRangeException(nameof(value), value, "A Float must be finite: NaN and Infinity cannot be represented in JSON.");
        Value = value == 0 ? 0.0 : value;
    }

    /// <summary>The number: finite, and 0.0 rather than -0.0.</summary>
    public double Value { get; }

    /// <inheritdoc/>
    public override TypedValueKind Kind => TypedValueKind.Float;

    private protected override int CompareSameKind(TypedValue other) => Value.CompareTo(((FloatValue)other).Value);

    private protected override bool EqualsSameKind(TypedValue other) => Value == ((FloatValue)other).Value;

    private protected override int ComputeHash() => HashCode.Combine(TypedValueKind.Float, Value);
}

/// <summary>An <c>Int</c> value: a signed 64-bit integer.</summary>
public sealed class IntValue : TypedValue
{
    internal IntValue(long value)
        : base(1)
    {
        Value = value;
    }

    /// <summary>The integer.</summary>
    public long Value { get; }

    /// <inheritdoc/>
    public override TypedValueKind Kind => TypedValueKind.Int;

    private protected override int CompareSameKind(TypedValue other) => Value.CompareTo(((IntValue)other).Value);

    private protected override bool EqualsSameKind(TypedValue other) => Value == ((IntValue)other).Value;

    private protected override int ComputeHash() => HashCode.Combine(TypedValueKind.Int, Value);
}

/// <summary>A <c>UInt</c> value: an unsigned 64-bit integer.</summary>
public sealed class UIntValue : TypedValue
{
    internal UIntValue(ulong value)
        : base(1)
    {
        Value = value;
    }

    /// <summary>The integer.</summary>
    public ulong Value { get; }

    /// <inheritdoc/>
    public override TypedValueKind Kind => TypedValueKind.UInt;

    private protected override int CompareSameKind(TypedValue other) => Value.CompareTo(((UIntValue)other).Value);

    private protected override bool EqualsSameKind(TypedValue other) => Value == ((UIntValue)other).Value;

    private protected override int ComputeHash() => HashCode.Combine(TypedValueKind.UInt, Value);
}

/// <summary>A <c>Str</c> value: well-formed Unicode text, ordered by its UTF-8 bytes.</summary>
public sealed class StrValue : TypedValue
{
    internal StrValue(string value)
        : base(1)
    {
        EnsureWellFormed(value, nameof(value));
        Value = value;
    }

    // For callers that have already validated the text (decoders, FromRawBytes).
    internal StrValue(string value, bool trusted)
        : base(1)
    {
        System.Diagnostics.Debug.Assert(trusted && IsWellFormedUtf16(value));
        Value = value;
    }

    /// <summary>The text.</summary>
    public string Value { get; }

    /// <inheritdoc/>
    public override TypedValueKind Kind => TypedValueKind.Str;

    private protected override int CompareSameKind(TypedValue other) => Utf8OrdinalComparer.CompareChars(Value, ((StrValue)other).Value);

    private protected override bool EqualsSameKind(TypedValue other) => string.Equals(Value, ((StrValue)other).Value, StringComparison.Ordinal);

    private protected override int ComputeHash() => HashCode.Combine(TypedValueKind.Str, string.GetHashCode(Value, StringComparison.Ordinal));
}
