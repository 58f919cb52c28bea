// The manifest: one small file recording the whole durable state of the engine, the set
// of live tables per level and the Raft position they cover. It is not a log of edits:
// every change rewrites it whole, which keeps recovery trivial.
// Layout (little-endian):
//   "KVDBMAN1" | formatVersion u32 | durableIndex i64 | durableTerm i64 | lastSequence u64 |
//   nextFileNumber u64 | levelCount u32 |
//   per level: tableCount u32, per table: number u64 | size i64 | entryCount i64 |
//              smallestLength u32 | smallest | largestLength u32 | largest
//   CRC32 of everything before it, u32
// Invariants:
//  - Replaced atomically: written to MANIFEST.tmp, fsynced, renamed over MANIFEST, then the
//    directory is fsynced. A crash leaves the old or the new manifest, never a mix.
//  - Every table it names was fsynced before the manifest was written.
//  - Reading checks magic, version, CRC and every length; any failure throws
//    StorageCorruptionException naming the manifest file.
using System.Buffers.Binary;
using System.IO.Hashing;

namespace KvDb.Core.Storage;

/// <summary>What a manifest records.</summary>
internal sealed record ManifestContent(ApplyPoint Durable, ulong NextFileNumber, IReadOnlyList<FileMetadata>[] Levels)
{
    public IEnumerable<FileMetadata> AllTables => Levels.SelectMany(static level => level);
}

internal static class Manifest
{
    public const string FileName = "MANIFEST";
    public const uint FormatVersion = 1;
    private static ReadOnlySpan<byte> Magic => "KVDBMAN1"u8;

    public static byte[] Encode(ManifestContent content)
    {
        var buffer = new GrowableBuffer(1024);
        buffer.Append(Magic);
        buffer.AppendUInt32(FormatVersion);
        buffer.AppendInt64(content.Durable.Index);
        buffer.AppendInt64(content.Durable.Term);
        buffer.AppendUInt64(content.Durable.Sequence);
        buffer.AppendUInt64(content.NextFileNumber);
        buffer.AppendUInt32((uint)content.Levels.Length);
        foreach (var level in content.Levels)
        {
            buffer.AppendUInt32((uint)level.Count);
            foreach (var table in level)
                EncodeTable(buffer, table);
        }

        buffer.AppendUInt32(Crc32.HashToUInt32(buffer.WrittenSpan));
        return buffer.WrittenSpan.ToArray();
    }

    public static ManifestContent Decode(ReadOnlySpan<byte> bytes, string path)
    {
        if (bytes.Length < Magic.Length + sizeof(uint) || !bytes[..Magic.Length].SequenceEqual(Magic))
            throw new StorageCorruptionException(path, "not a manifest (bad magic or truncated)");
        var body = bytes[..^sizeof(uint)];
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes[^sizeof(uint)..]) != Crc32.HashToUInt32(body))
            throw new StorageCorruptionException(path, "manifest checksum mismatch");
        var reader = new SpanReader(body[Magic.Length..], path);
        if (reader.UInt32() != FormatVersion)
            throw new StorageCorruptionException(path, "unknown manifest format version");
        var index = reader.Int64();
        var term = reader.Int64();
        var durable = new ApplyPoint(reader.UInt64(), index, term);
        var nextFileNumber = reader.UInt64();
        var levelCount = reader.UInt32();
        if (levelCount != TableSet.LevelCount)
            throw new StorageCorruptionException(path, $"manifest has {levelCount} levels, expected {TableSet.LevelCount}");
        var levels = new IReadOnlyList<FileMetadata>[levelCount];
        for (var level = 0; level < levelCount; level++)
            levels[level] = DecodeLevel(ref reader);
        reader.ExpectEnd();
        return new ManifestContent(durable, nextFileNumber, levels);
    }

    /// <summary>Reads the manifest of <paramref name="directory"/>, or null when there is none yet.</summary>
    public static ManifestContent? Read(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
            return null;
        return Decode(File.ReadAllBytes(path), path);
    }

    /// <summary>Replaces the manifest of <paramref name="directory"/> atomically and durably.</summary>
    public static void Write(string directory, ManifestContent content, Action<string>? beforeRename = null)
        => Durability.WriteFileAtomically(Path.Combine(directory, FileName), Encode(content), beforeRename);

    private static void EncodeTable(GrowableBuffer buffer, FileMetadata table)
    {
        buffer.AppendUInt64(table.Number);
        buffer.AppendInt64(table.Size);
        buffer.AppendInt64(table.EntryCount);
        buffer.AppendUInt32((uint)table.Smallest.Length);
        buffer.Append(table.Smallest);
        buffer.AppendUInt32((uint)table.Largest.Length);
        buffer.Append(table.Largest);
    }

    private static List<FileMetadata> DecodeLevel(ref SpanReader reader)
    {
        var count = reader.UInt32();
        var tables = new List<FileMetadata>((int)Math.Min(count, 1024));
        for (var i = 0; i < count; i++)
        {
            var number = reader.UInt64();
            var size = reader.Int64();
            var entries = reader.Int64();
            var smallest = reader.InternalKeyBytes();
            var largest = reader.InternalKeyBytes();
            tables.Add(new FileMetadata(number, size, entries, smallest, largest));
        }

        return tables;
    }

    /// <summary>A bounds-checked little-endian reader whose every failure names the file.</summary>
    private ref struct SpanReader(ReadOnlySpan<byte> remaining, string path)
    {
        private ReadOnlySpan<byte> remaining = remaining;

        public uint UInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(sizeof(uint)));

        public ulong UInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(sizeof(ulong)));

        public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Take(sizeof(long)));

        public byte[] InternalKeyBytes()
        {
            var length = UInt32();
            if (length > int.MaxValue)
                throw new StorageCorruptionException(path, "manifest key length out of range");
            var key = Take((int)length);
            if (!InternalKey.IsWellFormed(key))
                throw new StorageCorruptionException(path, "manifest holds a malformed key");
            return key.ToArray();
        }

        public readonly void ExpectEnd()
        {
            if (!remaining.IsEmpty)
                throw new StorageCorruptionException(path, "trailing bytes after the last table");
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (count > remaining.Length)
                throw new StorageCorruptionException(path, "manifest is truncated");
            var taken = remaining[..count];
            remaining = remaining[count..];
            return taken;
        }
    }
}
