// The typed value of the S2-compatible API: one of eight kinds, nested up to MaxDepth.
// Invariants (every instance, however it was made):
//  - Immutable: fully built by its constructor and never changed afterwards.
//  - Canonical: a Set is sorted and duplicate-free, a Map is sorted by key (UTF-8 byte order)
//    with unique keys, a Float is finite and never -0.0. Equal values therefore always have
//    byte-identical JSON and MessagePack encodings.
//  - Bounded: 1 <= Depth <= MaxDepth, so every recursive walk (compare, hash, encode) is
//    bounded, and everything that can be constructed can be encoded and decoded again.
//  - Strings (Str values and Map keys) are well-formed UTF-16: no unpaired surrogates, so each
//    has exactly one UTF-8 encoding and a byte-wise order.
//  - Equality, order and hash agree: a.Equals(b) <=> a.CompareTo(b) == 0 => equal hashes.
//    Hashes are per process (string hashing is randomized): never persist them.
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Unicode;

namespace KvDb.Core.Values;

/// <summary>
/// An immutable, canonical value of the S2 key-value API: <c>Bool</c>, <c>Float</c>, <c>Int</c>,
/// <c>List</c>, <c>Map</c>, <c>Set</c>, <c>Str</c> or <c>UInt</c>. Create one with the static
/// factories (<see cref="Int(long)"/>, <see cref="Set(IEnumerable{TypedValue})"/>, ...) and inspect
/// it by pattern matching on the sealed subclasses (<see cref="IntValue"/>, <see cref="SetValue"/>, ...).
/// </summary>
/// <remarks>
/// <para>Values are totally ordered like the reference's derived Rust <c>Ord</c>: first by
/// <see cref="Kind"/> (Bool &lt; Float &lt; Int &lt; List &lt; Map &lt; Set &lt; Str &lt; UInt), then by
/// content: false &lt; true; numbers numerically; strings by UTF-8 bytes; lists, sets and maps
/// lexicographically (a map as its sequence of (key, value) pairs in key order). A shorter sequence
/// that is a prefix of a longer one sorts first.</para>
/// <para>Floats follow <c>OrderedFloat</c>: -0.0 equals 0.0 (and is stored as 0.0). NaN and the
/// infinities cannot be carried by JSON, so they are not values at all: <see cref="Float(double)"/>
/// rejects them.</para>
/// </remarks>
public abstract class TypedValue : IEquatable<TypedValue>, IComparable<TypedValue>, IComparable
{
    /// <summary>
    /// The deepest nesting a value may have. A scalar has depth 1, a list of scalars depth 2, and so on.
    /// Factories throw and parsers fail cleanly beyond it.
    /// </summary>
    public const int MaxDepth = 32;

    private static readonly BoolValue FalseValue = new(false);
    private static readonly BoolValue TrueValue = new(true);

    // 0 means "not computed yet"; a computed 0 is stored as 1. Benign race: int writes are atomic.
    private int _hash;

    private protected TypedValue(int depth)
    {
        Depth = depth;
    }

    /// <summary>The kind of this value.</summary>
    public abstract TypedValueKind Kind { get; }

    /// <summary>The nesting depth: 1 for a scalar or an empty collection, 1 + the deepest element otherwise.</summary>
    public int Depth { get; }

    /// <summary>Creates a <c>Bool</c>.</summary>
    public static BoolValue Bool(bool value) => value ? TrueValue : FalseValue;

    /// <summary>Creates a <c>Float</c>; -0.0 is stored as 0.0.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is NaN or infinite.</exception>
    [SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "The names are the S2 reference's Value variants and the type tags of kvdb's typed-value JSON ({\"Int\": 1}); renaming would part the code from the format it implements.")]
    public static FloatValue Float(double value) => new(value);

    /// <summary>Creates an <c>Int</c>.</summary>
    [SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "The names are the S2 reference's Value variants and the type tags of kvdb's typed-value JSON ({\"Int\": 1}); renaming would part the code from the format it implements.")]
    public static IntValue Int(long value) => new(value);

    /// <summary>Creates a <c>UInt</c>.</summary>
    [SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "The names are the S2 reference's Value variants and the type tags of kvdb's typed-value JSON ({\"Int\": 1}); renaming would part the code from the format it implements.")]
    public static UIntValue UInt(ulong value) => new(value);

    /// <summary>Creates a <c>Str</c>.</summary>
    /// <exception cref="ArgumentException"><paramref name="value"/> contains an unpaired surrogate.</exception>
    public static StrValue Str(string value) => new(value);

    /// <summary>Creates a <c>List</c> holding <paramref name="items"/> in the order given.</summary>
    /// <exception cref="ArgumentException">The list would be deeper than <see cref="MaxDepth"/>.</exception>
    public static ListValue List(params ReadOnlySpan<TypedValue> items) => ListValue.Create(items.ToArray());

    /// <inheritdoc cref="List(ReadOnlySpan{TypedValue})"/>
    public static ListValue List(IEnumerable<TypedValue> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return ListValue.Create(items.ToArray());
    }

    /// <summary>Creates a <c>Set</c> of the distinct <paramref name="items"/>, sorted in the total order.</summary>
    /// <exception cref="ArgumentException">The set would be deeper than <see cref="MaxDepth"/>.</exception>
    public static SetValue Set(params ReadOnlySpan<TypedValue> items) => SetValue.Create(items.ToArray());

    /// <inheritdoc cref="Set(ReadOnlySpan{TypedValue})"/>
    public static SetValue Set(IEnumerable<TypedValue> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return SetValue.Create(items.ToArray());
    }

    /// <summary>Creates a <c>Map</c>, sorting the entries by key in UTF-8 byte order.</summary>
    /// <exception cref="ArgumentException">Two entries have the same key, a key has an unpaired
    /// surrogate, or the map would be deeper than <see cref="MaxDepth"/>.</exception>
    public static MapValue Map(IEnumerable<KeyValuePair<string, TypedValue>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        return MapValue.Create(entries.ToArray());
    }

    /// <inheritdoc cref="Map(IEnumerable{KeyValuePair{string, TypedValue}})"/>
    public static MapValue Map(params ReadOnlySpan<(string Key, TypedValue Value)> entries)
    {
        var array = new KeyValuePair<string, TypedValue>[entries.Length];
        for (var i = 0; i < entries.Length; i++)
            array[i] = new(entries[i].Key, entries[i].Value);
        return MapValue.Create(array);
    }

    /// <summary>
    /// Interprets an untyped request body as a <c>Str</c> when it is strictly valid UTF-8
    /// (no overlong forms, no encoded surrogates, no truncated sequences); returns null otherwise.
    /// </summary>
    /// <remarks>
    /// A leading byte order mark is kept as U+FEFF: the bytes are the value. What to do on null is
    /// the caller's decision; the suggested behaviour for the HTTP API is to answer 422 (or 400)
    /// "the value is not valid UTF-8" rather than store bytes that no typed reader can return,
    /// since the S2 API has no bytes kind.
    /// </remarks>
    public static StrValue? FromRawBytes(byte[] raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        return FromRawBytes(raw.AsSpan());
    }

    /// <inheritdoc cref="FromRawBytes(byte[])"/>
    public static StrValue? FromRawBytes(ReadOnlySpan<byte> raw) =>
        Utf8.IsValid(raw) ? new StrValue(Encoding.UTF8.GetString(raw), trusted: true) : null;

    /// <summary>Writes this value as compact externally tagged JSON, e.g. <c>{"Int":5}</c>.</summary>
    public byte[] ToJsonBytes() => TypedValueJson.ToJsonBytes(this);

    /// <summary>The compact externally tagged JSON of this value, as a string.</summary>
    public override string ToString() => TypedValueJson.ToJsonString(this);

    /// <summary>Compares by the total order described on <see cref="TypedValue"/>; null sorts first.</summary>
    public int CompareTo(TypedValue? other)
    {
        if (ReferenceEquals(this, other))
            return 0;
        if (other is null)
            return 1;
        if (Kind != other.Kind)
            return ((byte)Kind).CompareTo((byte)other.Kind);
        return CompareSameKind(other);
    }

    /// <inheritdoc/>
    int IComparable.CompareTo(object? obj) => obj switch
    {
        null => 1,
        TypedValue other => CompareTo(other),
        _ => throw new ArgumentException($"Cannot compare a {nameof(TypedValue)} with a {obj.GetType().Name}.", nameof(obj)),
    };

    /// <summary>Structural equality: same kind and same content.</summary>
    public bool Equals([NotNullWhen(true)] TypedValue? other)
    {
        if (ReferenceEquals(this, other))
            return true;
        if (other is null || Kind != other.Kind)
            return false;
        if (_hash != 0 && other._hash != 0 && _hash != other._hash)
            return false;
        return EqualsSameKind(other);
    }

    /// <inheritdoc/>
    public sealed override bool Equals(object? obj) => obj is TypedValue other && Equals(other);

    /// <inheritdoc/>
    public sealed override int GetHashCode()
    {
        var hash = _hash;
        if (hash == 0)
        {
            hash = ComputeHash();
            if (hash == 0)
                hash = 1;
            _hash = hash;
        }

        return hash;
    }

    /// <summary>Structural equality.</summary>
    public static bool operator ==(TypedValue? left, TypedValue? right) =>
        left is null ? right is null : left.Equals(right);

    /// <summary>Structural inequality.</summary>
    public static bool operator !=(TypedValue? left, TypedValue? right) => !(left == right);

    /// <summary>Total order.</summary>
    public static bool operator <(TypedValue? left, TypedValue? right) => Compare(left, right) < 0;

    /// <summary>Total order.</summary>
    public static bool operator <=(TypedValue? left, TypedValue? right) => Compare(left, right) <= 0;

    /// <summary>Total order.</summary>
    public static bool operator >(TypedValue? left, TypedValue? right) => Compare(left, right) > 0;

    /// <summary>Total order.</summary>
    public static bool operator >=(TypedValue? left, TypedValue? right) => Compare(left, right) >= 0;

    /// <summary>Compares two values of the same <see cref="Kind"/>.</summary>
    private protected abstract int CompareSameKind(TypedValue other);

    /// <summary>Equality of two values of the same <see cref="Kind"/>.</summary>
    private protected abstract bool EqualsSameKind(TypedValue other);

    /// <summary>A hash of the content, consistent with <see cref="EqualsSameKind"/>.</summary>
    private protected abstract int ComputeHash();

    private static int Compare(TypedValue? left, TypedValue? right) =>
        left is null ? (right is null ? 0 : -1) : left.CompareTo(right);

    /// <summary>True when <paramref name="text"/> has no unpaired surrogate (so it has a UTF-8 form).</summary>
    internal static bool IsWellFormedUtf16(ReadOnlySpan<char> text)
    {
        var i = text.IndexOfAnyInRange('\uD800', '\uDFFF');
        while (i >= 0)
        {
            if (!char.IsHighSurrogate(text[i]) || i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                return false;
            text = text[(i + 2)..];
            i = text.IndexOfAnyInRange('\uD800', '\uDFFF');
        }

        return true;
    }

    /// <summary>Throws unless <paramref name="text"/> is a usable string (not null, no unpaired surrogate).</summary>
    internal static void EnsureWellFormed(string text, string paramName)
    {
        ArgumentNullException.ThrowIfNull(text, paramName);
        if (!IsWellFormedUtf16(text))
            throw new ArgumentException("The string contains an unpaired UTF-16 surrogate, so it has no UTF-8 encoding.", paramName);
    }
}
