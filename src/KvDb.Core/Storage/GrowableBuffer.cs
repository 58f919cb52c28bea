// An append-only byte buffer reused across blocks, batches and manifests.
// Invariants:
//  - Written bytes are [0, Length); capacity only grows, so a reused buffer stops allocating
//    once it has seen its largest payload.
using System.Buffers.Binary;

namespace KvDb.Core.Storage;

internal sealed class GrowableBuffer(int initialCapacity = 256)
{
    private byte[] buffer = new byte[Math.Max(initialCapacity, 16)];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> WrittenSpan => buffer.AsSpan(0, Length);

    public ReadOnlyMemory<byte> WrittenMemory => buffer.AsMemory(0, Length);

    public int Capacity => buffer.Length;

    public void Clear() => Length = 0;

    public void Truncate(int length) => Length = length;

    public Span<byte> GetSpan(int size)
    {
        EnsureCapacity(size);
        return buffer.AsSpan(Length, size);
    }

    public void Advance(int count) => Length += count;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        Length += bytes.Length;
    }

    public void AppendByte(byte value)
    {
        GetSpan(1)[0] = value;
        Length++;
    }

    public void AppendVarint(ulong value) => Length += Coding.WriteVarint(GetSpan(Coding.MaxVarint64Length), value);

    public void AppendUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(GetSpan(4), value);
        Length += 4;
    }

    public void AppendUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(GetSpan(8), value);
        Length += 8;
    }

    public void AppendInt64(long value) => AppendUInt64((ulong)value);

    /// <summary>Appends a varint length followed by the bytes.</summary>
    public void AppendLengthPrefixed(ReadOnlySpan<byte> bytes)
    {
        AppendVarint((ulong)bytes.Length);
        Append(bytes);
    }

    private void EnsureCapacity(int extra)
    {
        var needed = (long)Length + extra;
        if (needed <= buffer.Length)
            return;
        var size = Math.Max(needed, Math.Min((long)buffer.Length * 2, Array.MaxLength));
        Array.Resize(ref buffer, checked((int)size));
    }
}
