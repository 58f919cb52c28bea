// The fixed pieces of the table file format.
// File layout:
//   data block*  | filter block | index block | footer (48 bytes)
//   every block is followed by a 4-byte trailer: CRC32 (IEEE) of the block's bytes, LE.
//   index block: one entry per data block; key = an internal key >= every key of that block
//   and < every key of the next; value = BlockHandle of the block.
//   footer: indexOffset u64 | indexSize u32 | filterOffset u64 | filterSize u32 |
//           entryCount u64 | formatVersion u32 | CRC32 of the preceding 36 bytes | "KVDBSST1"
// Invariants:
//  - A handle's Size excludes the trailer; handles always point inside the file before the
//    footer (checked when the footer is read).
//  - Any block is trusted only after its CRC matched.
using System.Buffers.Binary;
using System.IO.Hashing;

namespace KvDb.Core.Storage;

/// <summary>Where a block lives in a table file.</summary>
internal readonly record struct BlockHandle(long Offset, int Size)
{
    public const int MaxEncodedLength = 2 * Coding.MaxVarint64Length;

    public void EncodeTo(GrowableBuffer buffer)
    {
        buffer.AppendVarint((ulong)Offset);
        buffer.AppendVarint((ulong)Size);
    }

    public static bool TryDecode(ReadOnlySpan<byte> source, out BlockHandle handle)
    {
        handle = default;
        if (!Coding.TryReadVarint(source, out var offset, out var a) || offset > long.MaxValue
            || !Coding.TryReadLength(source[a..], out var size, out _))
            return false;
        handle = new((long)offset, size);
        return true;
    }
}

/// <summary>The last 48 bytes of a table file.</summary>
internal readonly record struct Footer(BlockHandle Index, BlockHandle Filter, long EntryCount)
{
    public const int Length = 48;
    public const uint FormatVersion = 1;
    private const int ChecksummedLength = 36;
    private static ReadOnlySpan<byte> Magic => "KVDBSST1"u8;

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteInt64LittleEndian(destination, Index.Offset);
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], Index.Size);
        BinaryPrimitives.WriteInt64LittleEndian(destination[12..], Filter.Offset);
        BinaryPrimitives.WriteInt32LittleEndian(destination[20..], Filter.Size);
        BinaryPrimitives.WriteInt64LittleEndian(destination[24..], EntryCount);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[32..], FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[36..], Crc32.HashToUInt32(destination[..ChecksummedLength]));
        Magic.CopyTo(destination[40..]);
    }

    /// <summary>Parses and checks a footer of a file of <paramref name="fileLength"/> bytes.</summary>
    public static Footer Read(ReadOnlySpan<byte> source, long fileLength, string path)
    {
        if (!source[40..Length].SequenceEqual(Magic))
            throw new StorageCorruptionException(path, "bad table magic (not a table, or truncated)");
        if (BinaryPrimitives.ReadUInt32LittleEndian(source[36..]) != Crc32.HashToUInt32(source[..ChecksummedLength]))
            throw new StorageCorruptionException(path, "footer checksum mismatch");
        if (BinaryPrimitives.ReadUInt32LittleEndian(source[32..]) != FormatVersion)
            throw new StorageCorruptionException(path, "unknown table format version");
        var footer = new Footer(
            new(BinaryPrimitives.ReadInt64LittleEndian(source), BinaryPrimitives.ReadInt32LittleEndian(source[8..])),
            new(BinaryPrimitives.ReadInt64LittleEndian(source[12..]), BinaryPrimitives.ReadInt32LittleEndian(source[20..])),
            BinaryPrimitives.ReadInt64LittleEndian(source[24..]));
        var limit = fileLength - Length;
        if (!footer.Index.FitsBefore(limit) || !footer.Filter.FitsBefore(limit) || footer.EntryCount < 0)
            throw new StorageCorruptionException(path, "footer points outside the file");
        return footer;
    }
}

internal static class BlockHandleExtensions
{
    /// <summary>True when the block and its trailer end at or before <paramref name="limit"/>.</summary>
    public static bool FitsBefore(this BlockHandle handle, long limit)
        => handle.Offset >= 0 && handle.Size >= 0 && handle.Offset + handle.Size + TableFormat.BlockTrailerLength <= limit;
}

internal static class TableFormat
{
    public const int BlockTrailerLength = sizeof(uint);
}
