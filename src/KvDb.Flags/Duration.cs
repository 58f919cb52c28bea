// Durations as people write them on a command line: "200ms", "2s", "1.5s", "1m", "1h".
// Shared by kvdb and kvdb bench so that both read durations the same way.
using System.Globalization;

namespace KvDb.Flags;

/// <summary>Parses short human-written durations.</summary>
public static class Duration
{
    /// <summary>Parses <paramref name="text"/>; a bare number is seconds. Negative durations are rejected.</summary>
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        text = text.Trim();
        var (number, scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 1.0),
            _ when text.EndsWith('s') => (text[..^1], 1000.0),
            _ when text.EndsWith('m') => (text[..^1], 60_000.0),
            _ when text.EndsWith('h') => (text[..^1], 3_600_000.0),
            _ => (text, 1000.0),
        };

        // double.TryParse takes "NaN" and "Infinity" whatever the styles, and TimeSpan throws on
        // them: "NaN" must be a parse failure, not an exception (a 500 for ?timeout=NaN).
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
            || !double.IsFinite(amount) || amount * scale > TimeSpan.MaxValue.TotalMilliseconds)
            return false;

        value = TimeSpan.FromMilliseconds(amount * scale);
        return true;
    }

    /// <summary>Writes <paramref name="value"/> the way <see cref="TryParse"/> reads it, in the largest whole unit ("15m", "1.5s", "200ms").</summary>
    public static string Format(TimeSpan value) => value switch
    {
        { TotalHours: >= 1 } when value.TotalHours == Math.Floor(value.TotalHours) => $"{value.TotalHours.ToString(CultureInfo.InvariantCulture)}h",
        { TotalMinutes: >= 1 } when value.TotalMinutes == Math.Floor(value.TotalMinutes) => $"{value.TotalMinutes.ToString(CultureInfo.InvariantCulture)}m",
        { TotalSeconds: >= 1 } => $"{value.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s",
        _ => $"{value.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms",
    };
}
