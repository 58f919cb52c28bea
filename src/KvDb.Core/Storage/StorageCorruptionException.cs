// Thrown whenever stored bytes fail a check: a checksum, a magic number, a length or a
// structural rule. The engine never serves data it could not verify.
// Invariants:
//  - The message always names the file (or archive entry) that failed, so an operator can
//    find and remove it; FilePath carries the same name for code.
//  - It derives from IOException because System.IO.InvalidDataException is sealed; callers
//    that must treat both alike catch IOException or test for either type.
namespace KvDb.Core.Storage;

/// <summary>Stored data (a table, the manifest or a checkpoint archive) failed verification.</summary>
public sealed class StorageCorruptionException : IOException
{
    /// <summary>Creates the exception for <paramref name="filePath"/>, explaining <paramref name="reason"/>.</summary>
    public StorageCorruptionException(string filePath, string reason, Exception? inner = null)
        : base($"Storage file '{filePath}' is corrupted: {reason}.", inner)
    {
        FilePath = filePath;
        Reason = reason;
    }

    /// <summary>The file (or archive entry) that failed verification.</summary>
    public string FilePath { get; }

    /// <summary>What check failed.</summary>
    public string Reason { get; }
}
