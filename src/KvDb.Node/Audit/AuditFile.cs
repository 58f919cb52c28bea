// The audit log's file: appended to in batches, rotated by size (FILE -> FILE.1 -> FILE.2 …, the
// oldest past --audit-log-max-files deleted). Used by the one writer thread only.
// Invariants:
//  - Writes are unbuffered: a batch reaches the operating system in one write call, or the call
//    throws and the caller drops the batch; no half-written buffer is retried later.
//  - Size counts what this process wrote since the file was opened, plus what the file held then.
//  - Only a file that holds at least what this writer counted is rotated: a device (/dev/full,
//    /dev/null) always has length 0, so it is never renamed, even by a member running as root.
namespace KvDb.Node.Audit;

/// <summary>Appends to and rotates the audit log file.</summary>
internal sealed class AuditFile(string path, long maxBytes, int maxFiles) : IDisposable
{
    private FileStream? stream;

    /// <summary>The file's size as far as this writer knows it.</summary>
    public long Size { get; private set; }

    /// <summary>True when <paramref name="bytes"/> more, after <paramref name="pending"/> not yet written, would take a non-empty file past the limit.</summary>
    public bool MustRotateBefore(int pending, int bytes) => Size + pending > 0 && Size + pending + bytes > maxBytes;

    /// <summary>Opens the file if it is not open (and learns its size); throws what opening throws.</summary>
    public void Open()
    {
        if (stream is not null)
            return;
        var full = Path.GetFullPath(path);
        if (Path.GetDirectoryName(full) is { } directory)
            Directory.CreateDirectory(directory);
        var options = new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.ReadWrite | FileShare.Delete,
            BufferSize = 0,
        };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
        stream = new FileStream(full, options);
        Size = stream.CanSeek ? stream.Length : 0;
    }

    /// <summary>Appends <paramref name="bytes"/>; on an exception the file is closed (and reopened by the next append).</summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        try
        {
            Open();
            stream!.Write(bytes);
            Size += bytes.Length;
        }
        catch
        {
            Close();
            throw;
        }
    }

    /// <summary>Renames the file to FILE.1 after shifting the older ones up; the next append starts a new file.</summary>
    public void Rotate()
    {
        Close();

        // Whatever happens below, the next file starts counting from zero: a rename that fails
        // (a read-only directory) is retried after another maxBytes, not before every line.
        var written = Size;
        Size = 0;
        var onDisk = new FileInfo(path);
        if (!onDisk.Exists || onDisk.Length == 0 || onDisk.Length < written)
        {
            // Not what was written here: a device, or a file someone else truncated or replaced.
            Size = onDisk.Exists ? onDisk.Length : 0;
            return;
        }

        for (var i = maxFiles - 1; i >= 1; i--)
        {
            if (File.Exists(Numbered(i)))
                File.Move(Numbered(i), Numbered(i + 1), overwrite: true);
        }

        if (File.Exists(path))
            File.Move(path, Numbered(1), overwrite: true);
    }

    /// <summary>Asks the operating system to put what was written on disk (at shutdown).</summary>
    public void Sync() => stream?.Flush(flushToDisk: true);

    /// <summary>Closes the file.</summary>
    public void Close()
    {
        stream?.Dispose();
        stream = null;
    }

    /// <inheritdoc/>
    public void Dispose() => Close();

    /// <summary>The name of the <paramref name="n"/>th rotated file.</summary>
    public string Numbered(int n) => path + "." + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
