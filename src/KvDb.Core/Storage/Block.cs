// A verified, immutable block read from a table, and the cursor that decodes it.
// Invariants:
//  - A Block is built only from bytes whose checksum matched, but its structure is still
//    checked while decoding: any offset or length that points outside the entry area throws
//    StorageCorruptionException naming the file, never reads garbage.
//  - Blocks are shared between threads through the cache; they are never mutated. Each
//    reader decodes with its own BlockIterator, which owns the key reconstruction buffer.
using System.Buffers.Binary;

namespace KvDb.Core.Storage;

internal sealed class Block
{
    private const int ObjectOverheadBytes = 64;

    public Block(byte[] data, int length, string filePath)
    {
        Data = data;
        FilePath = filePath;
        if (length < sizeof(uint))
            throw Corrupt("block shorter than its restart count");
        RestartCount = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(length - sizeof(uint)));
        RestartsOffset = length - sizeof(uint) - (RestartCount * sizeof(uint));
        if (RestartCount < 1 || RestartCount > length / sizeof(uint) || RestartsOffset < 0)
            throw Corrupt("bad restart count");
        Length = length;
    }

    public byte[] Data { get; }

    public int Length { get; }

    public string FilePath { get; }

    /// <summary>Where the entries end and the restart array begins.</summary>
    public int RestartsOffset { get; }

    public int RestartCount { get; }

    /// <summary>What the block costs the cache.</summary>
    public long Charge => Data.Length + ObjectOverheadBytes;

    public int RestartPoint(int index)
    {
        var offset = BinaryPrimitives.ReadInt32LittleEndian(Data.AsSpan(RestartsOffset + (index * sizeof(uint))));
        if (offset < 0 || offset > RestartsOffset)
            throw Corrupt("restart point out of range");
        return offset;
    }

    public StorageCorruptionException Corrupt(string why) => new(FilePath, why);
}

internal sealed class BlockIterator : InternalIterator
{
    private Block block = null!;
    private byte[] key = new byte[64];
    private int keyLength;
    private int current;
    private int next;
    private int valueOffset;
    private int valueLength;

    public override bool Valid => current < block.RestartsOffset;

    public override ReadOnlySpan<byte> Key => key.AsSpan(0, keyLength);

    public override ReadOnlySpan<byte> Value => block.Data.AsSpan(valueOffset, valueLength);

    /// <summary>Points this iterator at <paramref name="target"/>, leaving it invalid until positioned.</summary>
    public BlockIterator Reset(Block target)
    {
        block = target;
        current = next = target.RestartsOffset;
        keyLength = 0;
        return this;
    }

    public override void SeekToFirst()
    {
        next = block.RestartPoint(0);
        keyLength = 0;
        ParseNext();
    }

    public override void Seek(ReadOnlySpan<byte> target)
    {
        // Binary search for the last restart point whose key is < target, then scan forward.
        var left = 0;
        var right = block.RestartCount - 1;
        while (left < right)
        {
            var mid = (left + right + 1) / 2;
            if (InternalKey.Compare(RestartKey(mid), target) < 0)
                left = mid;
            else
                right = mid - 1;
        }

        next = block.RestartPoint(left);
        keyLength = 0;
        for (ParseNext(); Valid && InternalKey.Compare(Key, target) < 0; ParseNext())
        {
        }
    }

    public override void Next() => ParseNext();

    private ReadOnlySpan<byte> RestartKey(int index)
    {
        var offset = block.RestartPoint(index);
        var header = ReadHeader(offset, out var shared, out var unshared, out _);
        if (shared != 0)
            throw block.Corrupt("restart entry shares a prefix");
        return block.Data.AsSpan(offset + header, unshared);
    }

    private void ParseNext()
    {
        current = next;
        if (current >= block.RestartsOffset)
        {
            current = next = block.RestartsOffset;
            return;
        }

        var header = ReadHeader(current, out var shared, out var unshared, out valueLength);
        if (shared > keyLength)
            throw block.Corrupt("entry shares more than the previous key");
        var suffixOffset = current + header;
        if (key.Length < shared + unshared)
            Array.Resize(ref key, Math.Max(shared + unshared, key.Length * 2));
        block.Data.AsSpan(suffixOffset, unshared).CopyTo(key.AsSpan(shared));
        keyLength = shared + unshared;
        valueOffset = suffixOffset + unshared;
        next = valueOffset + valueLength;
    }

    private int ReadHeader(int offset, out int shared, out int unshared, out int length)
    {
        var span = block.Data.AsSpan(offset, block.RestartsOffset - offset);
        if (!Coding.TryReadLength(span, out shared, out var a)
            || !Coding.TryReadLength(span[a..], out unshared, out var b)
            || !Coding.TryReadLength(span[(a + b)..], out length, out var c)
            || (long)a + b + c + unshared + length > span.Length)
            throw block.Corrupt($"malformed entry at block offset {offset}");
        return a + b + c;
    }
}
