// The checkpoint archive: one self-describing stream carrying a whole durable state from one
// member to another.
// Layout (little-endian):
//   header  = "KVDBCKP1" | formatVersion u32 | index i64 | term i64 | sequence u64 |
//             tableCount u32 | CRC32 of the preceding header bytes u32
//   entry   = kind u8 (1 manifest, 2 table) | fileNumber u64 (0 for the manifest) |
//             length u64 | bytes | CRC32 of the entry's header and bytes u32
//   archive = header | manifest entry | tableCount table entries | "KVDBEND1"
// Invariants:
//  - The manifest comes first, so the receiver knows every table's expected size before
//    accepting bytes; each table must be named by the manifest exactly once.
//  - Every entry is checksummed as it streams; a receiver trusts nothing until every check
//    (header, entries, manifest, end marker, table structure) has passed.
//  - Table file numbers are the sender's; the receiver renumbers them.
using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;

namespace KvDb.Core.Storage;

/// <summary>A checkpoint received into a staging directory and verified.</summary>
internal sealed record ReceivedCheckpoint(ManifestContent Manifest, IReadOnlyDictionary<ulong, string> StagedTables);

internal static class CheckpointArchive
{
    private const string ArchiveName = "checkpoint archive";
    private const uint FormatVersion = 1;
    private const int HeaderLength = 44;
    private const int EntryHeaderLength = 17;
    private const byte ManifestKind = 1;
    private const byte TableKind = 2;
    private const int MaxManifestLength = 256 << 20;
    private const int CopyBufferLength = 256 * 1024;
    private static ReadOnlySpan<byte> Magic => "KVDBCKP1"u8;
    private static ReadOnlySpan<byte> EndMagic => "KVDBEND1"u8;

    /// <summary>The archive's size for <paramref name="version"/>, for callers that announce a length.</summary>
    public static long Length(TableSet version, int manifestLength)
        => HeaderLength + EntryHeaderLength + manifestLength + sizeof(uint)
           + version.AllTables.Sum(static t => EntryHeaderLength + t.Meta.Size + sizeof(uint)) + EndMagic.Length;

    public static async Task WriteAsync(Stream destination, TableSet version, byte[] manifest, CancellationToken token)
    {
        var tables = version.AllTables.ToList();
        await destination.WriteAsync(EncodeHeader(version.Durable, tables.Count), token).ConfigureAwait(false);
        var manifestHeader = EncodeEntryHeader(ManifestKind, 0, manifest.Length);
        var manifestChecksum = new Crc32();
        manifestChecksum.Append(manifestHeader);
        manifestChecksum.Append(manifest);
        await destination.WriteAsync(manifestHeader, token).ConfigureAwait(false);
        await destination.WriteAsync(manifest, token).ConfigureAwait(false);
        await destination.WriteAsync(EncodeUInt32(manifestChecksum.GetCurrentHashAsUInt32()), token).ConfigureAwait(false);
        foreach (var table in tables)
        {
            var entryHeader = EncodeEntryHeader(TableKind, table.Number, table.Meta.Size);
            var checksum = new Crc32();
            checksum.Append(entryHeader);
            await destination.WriteAsync(entryHeader, token).ConfigureAwait(false);
            await table.Reader.CopyToAsync(destination, checksum, token).ConfigureAwait(false);
            await destination.WriteAsync(EncodeUInt32(checksum.GetCurrentHashAsUInt32()), token).ConfigureAwait(false);
        }

        await destination.WriteAsync(EndMagic.ToArray(), token).ConfigureAwait(false);
        await destination.FlushAsync(token).ConfigureAwait(false);
    }

    /// <summary>Reads an archive, staging each table as a fsynced file in <paramref name="staging"/>.</summary>
    /// <exception cref="StorageCorruptionException">Any check failed; nothing outside <paramref name="staging"/> was touched.</exception>
    public static async Task<ReceivedCheckpoint> ReceiveAsync(Stream source, string staging, CancellationToken token)
    {
        var header = await ReadAsync(source, HeaderLength, "header", token).ConfigureAwait(false);
        var (point, tableCount) = DecodeHeader(header);
        var manifest = await ReceiveManifestAsync(source, token).ConfigureAwait(false);
        if (manifest.Durable != point)
            throw Corrupt("manifest", "manifest position differs from the header");
        var expected = manifest.AllTables.ToDictionary(static t => t.Number, static t => t.Size);
        if (expected.Count != tableCount)
            throw Corrupt("header", $"header announces {tableCount} tables, the manifest names {expected.Count}");
        var staged = new Dictionary<ulong, string>();
        for (var i = 0; i < tableCount; i++)
        {
            var (number, path) = await ReceiveTableAsync(source, staging, expected, staged, token).ConfigureAwait(false);
            staged.Add(number, path);
        }

        var end = await ReadAsync(source, EndMagic.Length, "end marker", token).ConfigureAwait(false);
        if (!end.AsSpan().SequenceEqual(EndMagic))
            throw Corrupt("end marker", "missing end marker");
        return new ReceivedCheckpoint(manifest, staged);
    }

    private static async Task<ManifestContent> ReceiveManifestAsync(Stream source, CancellationToken token)
    {
        var header = await ReadAsync(source, EntryHeaderLength, "manifest", token).ConfigureAwait(false);
        var (kind, number, length) = DecodeEntryHeader(header);
        if (kind != ManifestKind || number != 0 || length > MaxManifestLength)
            throw Corrupt("manifest", "first entry is not a manifest");
        var bytes = await ReadAsync(source, (int)length, "manifest", token).ConfigureAwait(false);
        var checksum = await ReadAsync(source, sizeof(uint), "manifest", token).ConfigureAwait(false);
        var expected = new Crc32();
        expected.Append(header);
        expected.Append(bytes);
        if (BinaryPrimitives.ReadUInt32LittleEndian(checksum) != expected.GetCurrentHashAsUInt32())
            throw Corrupt("manifest", "checksum mismatch");
        return Manifest.Decode(bytes, $"{ArchiveName}: {Manifest.FileName}");
    }

    private static async Task<(ulong Number, string Path)> ReceiveTableAsync(Stream source, string staging,
        Dictionary<ulong, long> expected, Dictionary<ulong, string> staged, CancellationToken token)
    {
        var header = await ReadAsync(source, EntryHeaderLength, "table", token).ConfigureAwait(false);
        var (kind, number, length) = DecodeEntryHeader(header);
        var name = $"table {number}";
        if (kind != TableKind || !expected.TryGetValue(number, out var size) || staged.ContainsKey(number))
            throw Corrupt(name, "entry is not a table the manifest names, or a duplicate");
        if ((long)length != size)
            throw Corrupt(name, $"length {length} differs from the manifest's {size}");
        var path = Path.Combine(staging, FileNames.Table(number));
        var checksum = new Crc32();
        checksum.Append(header);
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
        {
            await CopyExactlyAsync(source, file, size, checksum, name, token).ConfigureAwait(false);
            file.Flush(flushToDisk: true);
        }

        var trailer = await ReadAsync(source, sizeof(uint), name, token).ConfigureAwait(false);
        if (BinaryPrimitives.ReadUInt32LittleEndian(trailer) != checksum.GetCurrentHashAsUInt32())
            throw Corrupt(name, "checksum mismatch");
        return (number, path);
    }

    private static async Task CopyExactlyAsync(Stream source, Stream destination, long count, Crc32 checksum, string name, CancellationToken token)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferLength);
        try
        {
            while (count > 0)
            {
                var read = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), token).ConfigureAwait(false);
                if (read == 0)
                    throw Corrupt(name, "archive is truncated");
                checksum.Append(buffer.AsSpan(0, read));
                await destination.WriteAsync(buffer.AsMemory(0, read), token).ConfigureAwait(false);
                count -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<byte[]> ReadAsync(Stream source, int count, string what, CancellationToken token)
    {
        var buffer = new byte[count];
        try
        {
            await source.ReadExactlyAsync(buffer, token).ConfigureAwait(false);
        }
        catch (EndOfStreamException e)
        {
            throw Corrupt(what, "archive is truncated", e);
        }

        return buffer;
    }

    private static byte[] EncodeHeader(ApplyPoint point, int tableCount)
    {
        var header = new byte[HeaderLength];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(12), point.Index);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(20), point.Term);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(28), point.Sequence);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(36), tableCount);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(40), Crc32.HashToUInt32(header.AsSpan(0, 40)));
        return header;
    }

    private static (ApplyPoint Point, int TableCount) DecodeHeader(byte[] header)
    {
        if (!header.AsSpan(0, 8).SequenceEqual(Magic))
            throw Corrupt("header", "not a checkpoint archive");
        if (BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(40)) != Crc32.HashToUInt32(header.AsSpan(0, 40)))
            throw Corrupt("header", "checksum mismatch");
        if (BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8)) != FormatVersion)
            throw Corrupt("header", "unknown archive format version");
        var tableCount = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(36));
        if (tableCount < 0)
            throw Corrupt("header", "negative table count");
        var point = new ApplyPoint(
            BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(28)),
            BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(12)),
            BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(20)));
        return (point, tableCount);
    }

    private static byte[] EncodeEntryHeader(byte kind, ulong number, long length)
    {
        var header = new byte[EntryHeaderLength];
        header[0] = kind;
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(1), number);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(9), length);
        return header;
    }

    private static (byte Kind, ulong Number, ulong Length) DecodeEntryHeader(byte[] header)
        => (header[0], BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(1)), BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(9)));

    private static byte[] EncodeUInt32(uint value)
    {
        var bytes = new byte[sizeof(uint)];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }

    private static StorageCorruptionException Corrupt(string entry, string reason, Exception? inner = null)
        => new($"{ArchiveName}: {entry}", reason, inner);
}
