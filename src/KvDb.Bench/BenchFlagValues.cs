// Flag value parsers shared by the subcommands of `kvdb bench` (s2, kafka); each throws
// FormatException with one line naming the flag, as KvDb.Flags expects.
using KvDb.Flags;

namespace KvDb.Bench;

/// <summary>Parsers of flag values used by more than one bench subcommand.</summary>
internal static class BenchFlagValues
{
    /// <summary>A duration from <paramref name="min"/> to <paramref name="max"/>, like 200ms, 10s or 1m.</summary>
    public static Func<string, TimeSpan> Span(string flag, TimeSpan min, TimeSpan max) => text =>
    {
        if (!Duration.TryParse(text, out var value))
            throw new FormatException($"--{flag} '{text}' is not a duration like 200ms, 10s or 1m");
        if (value < min || value > max)
            throw new FormatException($"--{flag} '{text}' must be from {Duration.Format(min)} to {Duration.Format(max)}");
        return value;
    };

    /// <summary>Comma-separated whole numbers, each from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Func<string, List<int>> WholeNumbers(string flag, int min, int max) => text =>
    {
        var each = WholeNumber.Between(flag, min, max);
        return [.. text.Split(',', StringSplitOptions.TrimEntries).Select(each)];
    };

    /// <summary>Comma-separated sizes (bytes, or with KiB/MiB/GiB), each from <paramref name="min"/> to <paramref name="max"/> bytes.</summary>
    public static Func<string, List<int>> Sizes(string flag, int min, int max)
        => text => [.. text.Split(',', StringSplitOptions.TrimEntries).Select(part => (int)S2BenchCommandLine.ParseSize(flag, part, min, max))];
}
