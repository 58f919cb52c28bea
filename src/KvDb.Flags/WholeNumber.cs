// Whole-number flag values (--port, --concurrency, ...), with the same range error everywhere.
using System.Globalization;

namespace KvDb.Flags;

/// <summary>Parses whole-number flag values.</summary>
public static class WholeNumber
{
    /// <summary>A parser for <c>--<paramref name="flag"/></c> that accepts <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Func<string, int> Between(string flag, int min, int max) => text =>
    {
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw new FormatException($"--{flag} '{text}' must be a whole number from {min} to {max}");
        return value;
    };
}
