// The file-system steps that make state changes crash-safe.
// Invariants:
//  - A file that another file or the manifest refers to is fsynced before the reference is
//    written; a rename is followed by an fsync of the directory, so after a crash the new
//    name either exists with complete contents or the old state is intact.
//  - On Windows directory entries cannot be fsynced from .NET; NTFS journals renames, so the
//    directory step is skipped there.
using System.Runtime.InteropServices;

namespace KvDb.Core.Storage;

internal static partial class Durability
{
    private const int ReadOnly = 0;

    /// <summary>Writes <paramref name="contents"/> to <paramref name="path"/> through a fsynced temporary file and a rename.</summary>
    public static void WriteFileAtomically(string path, ReadOnlySpan<byte> contents, Action<string>? beforeRename = null)
    {
        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1))
        {
            file.Write(contents);
            file.Flush(flushToDisk: true);
        }

        beforeRename?.Invoke(temporary);
        File.Move(temporary, path, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>Makes the entries (creations, renames, deletions) of a directory durable.</summary>
    public static void SyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
            return;
        var descriptor = Open(directory, ReadOnly);
        if (descriptor < 0)
            throw new IOException($"Cannot open directory '{directory}' to fsync it: {Marshal.GetLastPInvokeErrorMessage()}");
        try
        {
            if (Fsync(descriptor) != 0)
                throw new IOException($"fsync of directory '{directory}' failed: {Marshal.GetLastPInvokeErrorMessage()}");
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    /// <summary>Fsyncs an existing file by path.</summary>
    public static void SyncFile(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        file.Flush(flushToDisk: true);
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int descriptor);
}
