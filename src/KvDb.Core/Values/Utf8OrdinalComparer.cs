// Orders .NET strings as Rust orders String: by the bytes of their UTF-8 encoding.
// Invariants:
//  - For well-formed UTF-16 this is exactly Unicode code point order, which is also UTF-8
//    byte order. It differs from string.CompareOrdinal (UTF-16 code unit order) only when a
//    surrogate pair (U+10000..U+10FFFF) meets a BMP character in U+E000..U+FFFF.
//  - No allocation and no transcoding: it works on UTF-16 code units directly.
namespace KvDb.Core.Values;

/// <summary>
/// Compares strings by the byte-wise order of their UTF-8 encodings (Unicode code point order),
/// matching Rust's <c>Ord</c> for <c>String</c> and the key order of a <c>BTreeMap&lt;String, _&gt;</c>.
/// </summary>
public sealed class Utf8OrdinalComparer : IComparer<string>
{
    /// <summary>The shared instance.</summary>
    public static readonly Utf8OrdinalComparer Instance = new();

    private Utf8OrdinalComparer()
    {
    }

    /// <inheritdoc/>
    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
            return 0;
        if (x is null)
            return -1;
        if (y is null)
            return 1;
        return CompareChars(x, y);
    }

    /// <summary>Compares two UTF-16 spans by the UTF-8 byte order of the text they hold.</summary>
    public static int CompareChars(ReadOnlySpan<char> x, ReadOnlySpan<char> y)
    {
        var common = x.CommonPrefixLength(y);
        if (common == x.Length || common == y.Length)
            return x.Length.CompareTo(y.Length);
        return CodePointRank(x[common]).CompareTo(CodePointRank(y[common]));
    }

    // At the first differing code unit, surrogates (D800..DFFF) stand for code points above
    // U+FFFF, so they must rank above E000..FFFF. Shift E000..FFFF down and surrogates up.
    private static int CodePointRank(char c) => c switch
    {
        < '\uD800' => c,
        <= '\uDFFF' => c + 0x2000,
        _ => c - 0x800,
    };
}
