// The on-disk form of a state machine snapshot: the whole key space at one Raft index.
// Layout: magic "KVDBSNP1" | index i64 | term i64 | records | end marker | CRC32 of all before it.
//   record     = keyLength u32 | key | valueLength u32 | value      (little-endian lengths)
//   end marker = keyLength 0xFFFFFFFF
// Invariants:
//  - A snapshot file is written under a temporary name, fsynced, then renamed, so a file
//    with a final name is always complete; the CRC catches anything that is not.
//  - File names are "<index>-<term>.snap" so the newest is found without opening files.
using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace KvDb.Core.State;

/// <summary>A complete snapshot of the key space stored in one file, shippable as a Raft snapshot entry.</summary>
public sealed class SnapshotFile : ISnapshot
{
    private const string Extension = ".snap";
    private static ReadOnlySpan<byte> Magic => "KVDBSNP1"u8;
    private const uint EndMarker = uint.MaxValue;
    private const int HeaderSize = 8 + sizeof(long) * 2;

    private SnapshotFile(string path, long index, long term)
    {
        Path = path;
        Index = index;
        Term = term;
        Timestamp = File.GetLastWriteTimeUtc(path);
    }

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public long Index { get; }

    /// <inheritdoc/>
    public long Term { get; }

    /// <inheritdoc/>
    public DateTimeOffset Timestamp { get; }

    /// <inheritdoc/>
    public long? Length => new FileInfo(Path).Length;

    /// <inheritdoc/>
    public bool IsReusable => true;

    /// <inheritdoc/>
    public async ValueTask WriteToAsync<TWriter>(TWriter writer, CancellationToken token)
        where TWriter : IAsyncBinaryWriter
    {
        await using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete,
            bufferSize: 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await writer.CopyFromAsync(stream, count: null, token).ConfigureAwait(false);
    }

    /// <summary>The name a snapshot at <paramref name="index"/> and <paramref name="term"/> is stored under.</summary>
    public static string FileName(long index, long term)
        => string.Create(CultureInfo.InvariantCulture, $"{index:D20}-{term}{Extension}");

    /// <summary>Deletes snapshots left half-written by a crash; call only while no snapshot is being written.</summary>
    public static void DeleteTemporaryFiles(string directory)
    {
        foreach (var tmp in Directory.EnumerateFiles(directory, "*.tmp"))
            File.Delete(tmp);
    }

    /// <summary>Finds the complete snapshots in <paramref name="directory"/>, newest first.</summary>
    public static IEnumerable<SnapshotFile> List(string directory)
    {
        var found = new List<SnapshotFile>();
        foreach (var path in Directory.EnumerateFiles(directory, "*" + Extension))
        {
            var name = System.IO.Path.GetFileNameWithoutExtension(path);
            if (name.Split('-') is [var i, var t]
                && long.TryParse(i, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                && long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var term))
            {
                found.Add(new(path, index, term));
            }
        }

        found.Sort(static (x, y) => y.Index.CompareTo(x.Index));
        return found;
    }

    /// <summary>Writes <paramref name="view"/> as a snapshot in <paramref name="directory"/>, durably.</summary>
    public static async Task<SnapshotFile> WriteAsync(string directory, IKeyValueView view, long term, CancellationToken token)
    {
        var path = System.IO.Path.Combine(directory, FileName(view.Index, term));
        var tmp = path + ".tmp";
        await using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous))
        {
            await WriteContentsAsync(stream, view, term, token).ConfigureAwait(false);
            await stream.FlushAsync(token).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }

        return Publish(tmp, path, view.Index, term);
    }

    /// <summary>Stores a snapshot received from the leader, after checking it is complete.</summary>
    public static async Task<SnapshotFile> ReceiveAsync(string directory, long index, long term,
        Func<Stream, CancellationToken, ValueTask> copyTo, CancellationToken token)
    {
        var path = System.IO.Path.Combine(directory, FileName(index, term));
        var tmp = path + ".tmp";
        await using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.Asynchronous))
        {
            await copyTo(stream, token).ConfigureAwait(false);
            await stream.FlushAsync(token).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }

        return Publish(tmp, path, index, term);
    }

    private static SnapshotFile Publish(string tmp, string path, long index, long term)
    {
        File.Move(tmp, path, overwrite: true);
        return new(path, index, term);
    }

    private static async Task WriteContentsAsync(Stream stream, IKeyValueView view, long term, CancellationToken token)
    {
        var crc = new Crc32();
        var header = new byte[HeaderSize];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(8), view.Index);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(16), term);
        await WriteAsync(stream, crc, header, token).ConfigureAwait(false);

        var length = new byte[sizeof(uint)];
        foreach (var (key, value) in view.Scan())
        {
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)key.Length);
            await WriteAsync(stream, crc, length, token).ConfigureAwait(false);
            await WriteAsync(stream, crc, key, token).ConfigureAwait(false);
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)value.Length);
            await WriteAsync(stream, crc, length, token).ConfigureAwait(false);
            await WriteAsync(stream, crc, value, token).ConfigureAwait(false);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(length, EndMarker);
        await WriteAsync(stream, crc, length, token).ConfigureAwait(false);
        await stream.WriteAsync(crc.GetCurrentHash(), token).ConfigureAwait(false);
    }

    private static ValueTask WriteAsync(Stream stream, Crc32 crc, byte[] bytes, CancellationToken token)
    {
        crc.Append(bytes);
        return stream.WriteAsync(bytes, token);
    }

    /// <summary>Reads every record of the snapshot, verifying the checksum before the last record is returned.</summary>
    /// <exception cref="InvalidDataException">The file is truncated or corrupted.</exception>
    public IEnumerable<KeyValuePair<byte[], byte[]>> ReadRecords()
    {
        // Verify the whole file first: a corrupted snapshot must never be half-applied.
        Verify();
        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.SequentialScan);
        using var reader = new BinaryReader(stream);
        reader.ReadBytes(HeaderSize);
        for (uint keyLength; (keyLength = reader.ReadUInt32()) != EndMarker;)
        {
            var key = reader.ReadBytes(checked((int)keyLength));
            var value = reader.ReadBytes(checked((int)reader.ReadUInt32()));
            yield return new(key, value);
        }
    }

    /// <summary>Checks the magic, header and CRC of the file.</summary>
    /// <exception cref="InvalidDataException">The file is truncated or corrupted.</exception>
    public void Verify()
    {
        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.SequentialScan);
        if (stream.Length < HeaderSize + sizeof(uint) * 2)
            throw Corrupted("truncated");

        var header = new byte[HeaderSize];
        stream.ReadExactly(header);
        if (!header.AsSpan(0, 8).SequenceEqual(Magic)
            || BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(8)) != Index
            || BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(16)) != Term)
            throw Corrupted("bad header");

        var crc = new Crc32();
        crc.Append(header);
        var buffer = new byte[64 * 1024];
        var remaining = stream.Length - HeaderSize - sizeof(uint);
        while (remaining > 0)
        {
            var read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
            if (read == 0)
                throw Corrupted("truncated");
            crc.Append(buffer.AsSpan(0, read));
            remaining -= read;
        }

        Span<byte> expected = stackalloc byte[sizeof(uint)];
        stream.ReadExactly(expected);
        if (!expected.SequenceEqual(crc.GetCurrentHash()))
            throw Corrupted("checksum mismatch");
    }

    private InvalidDataException Corrupted(string why) => new($"Snapshot file '{Path}' is corrupted ({why}).");

    /// <summary>Deletes the file.</summary>
    public void Delete() => File.Delete(Path);
}
