// Low-level JSON text helpers shared by TypedValueJson: float formatting and string escaping
// that match serde_json, so kvdb writes the same bytes as the S2 reference for the same value.
// Invariants:
//  - FormatFloat writes the shortest text that parses back to the same double, laid out like
//    serde_json/ryu ("1.0", "0.001", "1e16", "1.5e-7"): a Float always has a '.' or an 'e', so
//    it never looks like an integer.
//  - MinimalJsonEncoder escapes only what JSON requires (", \ and U+0000..U+001F, as serde_json
//    does); everything else, including non-ASCII and non-BMP text, is written as raw UTF-8.
using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;

namespace KvDb.Core.Values;

/// <summary>JSON number formatting for <c>Float</c> values.</summary>
internal static class JsonFloat
{
    /// <summary>Enough for any finite double: sign, 17 digits, '.', 'e', '-', 3 exponent digits, with slack.</summary>
    public const int MaxLength = 32;

    /// <summary>
    /// Formats a finite <paramref name="value"/> into <paramref name="destination"/> (at least
    /// <see cref="MaxLength"/> bytes) and returns the number of bytes written.
    /// </summary>
    public static int Format(double value, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, MaxLength, nameof(destination));
        if (!double.IsFinite(value))
            throw new ArgumentOutOfRangeException(nameof(value), value, "Only finite numbers can be written as JSON.");

        Span<byte> digits = stackalloc byte[MaxLength];
        var exponent = ShortestDigits(value, digits, out var length);
        var written = 0;
        if (double.IsNegative(value))
            destination[written++] = (byte)'-';
        if (length == 0)
            return written + Copy("0.0"u8, destination[written..]);
        return written + Layout(digits[..length], exponent, destination[written..]);
    }

    // Shortest round-trip digits (no leading or trailing zeros) and k with |value| = digits * 10^k.
    private static int ShortestDigits(double value, Span<byte> digits, out int length)
    {
        Span<byte> text = stackalloc byte[MaxLength];
        Math.Abs(value).TryFormat(text, out var textLength, "R", CultureInfo.InvariantCulture);
        text = text[..textLength];

        var exponent = 0;
        var e = text.IndexOfAny((byte)'E', (byte)'e');
        if (e >= 0)
        {
            exponent = int.Parse(text[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            text = text[..e];
        }

        length = 0;
        var seenPoint = false;
        foreach (var c in text)
        {
            if (c == '.')
            {
                seenPoint = true;
                continue;
            }

            if (seenPoint)
                exponent--;
            if (length > 0 || c != '0')
                digits[length++] = c;
        }

        while (length > 0 && digits[length - 1] == '0')
        {
            length--;
            exponent++;
        }

        return exponent;
    }

    // serde_json's layout of digits * 10^k, with kk the position of the decimal point.
    private static int Layout(ReadOnlySpan<byte> digits, int k, Span<byte> destination)
    {
        var length = digits.Length;
        var kk = length + k;
        if (k >= 0 && kk <= 16)
        {
            // 1234e7 -> 12340000000.0
            digits.CopyTo(destination);
            destination[length..kk].Fill((byte)'0');
            return kk + Copy(".0"u8, destination[kk..]);
        }

        if (kk > 0 && kk <= 16)
        {
            // 1234e-2 -> 12.34
            digits[..kk].CopyTo(destination);
            destination[kk] = (byte)'.';
            digits[kk..].CopyTo(destination[(kk + 1)..]);
            return length + 1;
        }

        if (kk > -5 && kk <= 0)
        {
            // 1234e-6 -> 0.001234
            var zeros = -kk;
            Copy("0."u8, destination);
            destination.Slice(2, zeros).Fill((byte)'0');
            digits.CopyTo(destination[(2 + zeros)..]);
            return 2 + zeros + length;
        }

        // 1e30, 1234e30 -> 1.234e33
        var written = 0;
        destination[written++] = digits[0];
        if (length > 1)
        {
            destination[written++] = (byte)'.';
            digits[1..].CopyTo(destination[written..]);
            written += length - 1;
        }

        destination[written++] = (byte)'e';
        (kk - 1).TryFormat(destination[written..], out var exponentLength, default, CultureInfo.InvariantCulture);
        return written + exponentLength;
    }

    private static int Copy(ReadOnlySpan<byte> text, Span<byte> destination)
    {
        text.CopyTo(destination);
        return text.Length;
    }
}

/// <summary>
/// A <see cref="JavaScriptEncoder"/> that escapes only what RFC 8259 requires, the way serde_json
/// does: <c>\"</c>, <c>\\</c>, <c>\b \f \n \r \t</c> and <c>\u00xx</c> (lowercase hex) for other
/// control characters. It is safe for JSON but not for embedding in HTML.
/// </summary>
internal sealed unsafe class MinimalJsonEncoder : JavaScriptEncoder
{
    /// <summary>The shared instance.</summary>
    public static readonly MinimalJsonEncoder Instance = new();

    private const string MustEscape =
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000A\u000B\u000C\u000D\u000E\u000F" +
        "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\"\\";

    private static readonly SearchValues<char> CharsToEscape = SearchValues.Create(MustEscape);
    private static readonly SearchValues<byte> BytesToEscape = SearchValues.Create(MustEscape.Select(c => (byte)c).ToArray());

    private MinimalJsonEncoder()
    {
    }

    /// <inheritdoc/>
    public override int MaxOutputCharactersPerInputCharacter => 6;

    /// <inheritdoc/>
    public override int FindFirstCharacterToEncode(char* text, int textLength) =>
        new ReadOnlySpan<char>(text, textLength).IndexOfAny(CharsToEscape);

    /// <inheritdoc/>
    public override int FindFirstCharacterToEncodeUtf8(ReadOnlySpan<byte> utf8Text) => utf8Text.IndexOfAny(BytesToEscape);

    /// <inheritdoc/>
    public override bool WillEncode(int unicodeScalar) => unicodeScalar is < 0x20 or '"' or '\\';

    /// <inheritdoc/>
    public override bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten)
    {
        var destination = new Span<char>(buffer, bufferLength);
        if (!WillEncode(unicodeScalar))
            return TryWrite(char.ConvertFromUtf32(unicodeScalar), destination, out numberOfCharactersWritten);

        ReadOnlySpan<char> shortForm = unicodeScalar switch
        {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\b' => "\\b",
            '\f' => "\\f",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            _ => default,
        };
        if (!shortForm.IsEmpty)
            return TryWrite(shortForm, destination, out numberOfCharactersWritten);

        numberOfCharactersWritten = 0;
        if (destination.Length < 6)
            return false;
        "\\u00".CopyTo(destination);
        destination[4] = "0123456789abcdef"[unicodeScalar >> 4];
        destination[5] = "0123456789abcdef"[unicodeScalar & 0xF];
        numberOfCharactersWritten = 6;
        return true;
    }

    private static bool TryWrite(ReadOnlySpan<char> text, Span<char> destination, out int written)
    {
        written = text.TryCopyTo(destination) ? text.Length : 0;
        return written > 0;
    }
}
