// Integer encodings shared by every on-disk format of the engine.
// Invariants:
//  - Fixed-width integers are little-endian whatever the host.
//  - Varints are LEB128 (7 bits a byte, high bit set = more follow). Decoders never read past
//    the span they are given and report malformed input by returning false, so callers can
//    turn it into a StorageCorruptionException that names the file.
namespace KvDb.Core.Storage;

internal static class Coding
{
    public const int MaxVarint64Length = 10;

    public static int VarintLength(ulong value)
    {
        var length = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            length++;
        }

        return length;
    }

    public static int WriteVarint(Span<byte> destination, ulong value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    public static bool TryReadVarint(ReadOnlySpan<byte> source, out ulong value, out int length)
    {
        value = 0;
        for (var i = 0; i < source.Length && i < MaxVarint64Length; i++)
        {
            var b = source[i];
            value |= (ulong)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                length = i + 1;
                return true;
            }
        }

        length = 0;
        return false;
    }

    /// <summary>Reads a varint that must fit an <see cref="int"/> length or offset.</summary>
    public static bool TryReadLength(ReadOnlySpan<byte> source, out int value, out int length)
    {
        if (TryReadVarint(source, out var wide, out length) && wide <= int.MaxValue)
        {
            value = (int)wide;
            return true;
        }

        value = 0;
        return false;
    }
}
