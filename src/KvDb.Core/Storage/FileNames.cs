// The names of everything the engine keeps in its directory.
//   LOCK            held open exclusively while an engine has the directory
//   MANIFEST        the durable state (Manifest.cs); MANIFEST.tmp while being replaced
//   NNNNNNNNNN.sst  a table, numbered from a counter that never goes back
//   staging/        a checkpoint being received
// Invariants:
//  - Only names of these shapes are ever created or deleted, so an engine never removes a
//    file it does not own even if someone puts other files in its directory.
using System.Globalization;

namespace KvDb.Core.Storage;

internal static class FileNames
{
    public const string Lock = "LOCK";
    public const string Staging = "staging";
    private const string TableExtension = ".sst";

    public static string Table(ulong number) => number.ToString("D10", CultureInfo.InvariantCulture) + TableExtension;

    /// <summary>Parses a table file name; false for anything else.</summary>
    public static bool TryParseTable(string fileName, out ulong number)
    {
        number = 0;
        return fileName.EndsWith(TableExtension, StringComparison.Ordinal)
            && ulong.TryParse(fileName.AsSpan(0, fileName.Length - TableExtension.Length), NumberStyles.None, CultureInfo.InvariantCulture, out number);
    }

    /// <summary>True for temporary files a crash may leave behind.</summary>
    public static bool IsTemporary(string fileName)
        => fileName == Manifest.FileName + ".tmp" || (fileName.EndsWith(".tmp", StringComparison.Ordinal) && TryParseTable(fileName[..^4], out _));
}
