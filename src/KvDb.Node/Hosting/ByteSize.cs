// Sizes as people write them on a command line: "65536", "512KiB", "64MiB", "1GiB" (also KB/MB/GB,
// read as powers of 1024 like the rest of the flags).
using System.Globalization;

namespace KvDb.Node.Hosting;

/// <summary>Parses and formats byte sizes.</summary>
public static class ByteSize
{
    private static readonly (string Suffix, long Scale)[] Units =
    [
        ("GiB", 1L << 30), ("GB", 1L << 30), ("G", 1L << 30),
        ("MiB", 1L << 20), ("MB", 1L << 20), ("M", 1L << 20),
        ("KiB", 1L << 10), ("KB", 1L << 10), ("K", 1L << 10),
        ("B", 1L),
    ];

    /// <summary>Parses <paramref name="text"/>; a bare number is bytes.</summary>
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        text = text.Trim();
        var scale = 1L;
        foreach (var (suffix, unit) in Units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                text = text[..^suffix.Length].Trim();
                scale = unit;
                break;
            }
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count > long.MaxValue / scale)
            return false;
        bytes = count * scale;
        return true;
    }

    /// <summary>Formats <paramref name="bytes"/> with the largest whole unit.</summary>
    public static string Format(long bytes) => bytes switch
    {
        _ when bytes % (1L << 30) == 0 && bytes > 0 => $"{bytes >> 30}GiB",
        _ when bytes % (1L << 20) == 0 && bytes > 0 => $"{bytes >> 20}MiB",
        _ when bytes % (1L << 10) == 0 && bytes > 0 => $"{bytes >> 10}KiB",
        _ => $"{bytes}B",
    };
}
