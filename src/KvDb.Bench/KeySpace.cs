// The keys and the value a benchmark writes. Key i is "bench-" followed by i zero-padded to
// the width of the largest index, so every key (and every request body built from one) has the
// same length. Invariants: Key(i) is defined exactly for 0 <= i < Count and is the same on every
// call, and TryParseIndex(KeyBytes(i)) gives back i; Value is ValueSize bytes of printable
// ASCII, fixed for the whole run, so a PUT body never has to be built while measuring.
using System.Globalization;
using System.Text;

namespace KvDb.Bench;

/// <summary>The benchmark's key names and its value bytes.</summary>
public sealed class KeySpace
{
    /// <summary>The prefix of every benchmark key.</summary>
    public const string Prefix = "bench-";

    private static readonly byte[] PrefixBytes = Encoding.UTF8.GetBytes(Prefix);

    private readonly int width;

    /// <summary>A key space of <paramref name="count"/> keys and values of <paramref name="valueSize"/> bytes.</summary>
    public KeySpace(int count, int valueSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(valueSize);
        Count = count;
        width = (count - 1).ToString(CultureInfo.InvariantCulture).Length;
        Value = MakeValue(valueSize);
    }

    /// <summary>How many keys there are.</summary>
    public int Count { get; }

    /// <summary>The bytes every PUT stores.</summary>
    public byte[] Value { get; }

    /// <summary>The name of key <paramref name="index"/>.</summary>
    public string Key(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return Prefix + index.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0');
    }

    /// <summary>The UTF-8 bytes of key <paramref name="index"/>.</summary>
    public byte[] KeyBytes(int index) => Encoding.UTF8.GetBytes(Key(index));

    /// <summary>The index of the key whose UTF-8 bytes are <paramref name="key"/>; false for any other bytes (another width, not a bench key, out of range).</summary>
    public bool TryParseIndex(ReadOnlySpan<byte> key, out int index)
    {
        index = 0;
        if (key.Length != PrefixBytes.Length + width || !key.StartsWith(PrefixBytes))
            return false;
        foreach (var digit in key[PrefixBytes.Length..])
        {
            if (digit is < (byte)'0' or > (byte)'9')
                return false;
            index = index * 10 + (digit - '0');
        }

        return index < Count;
    }

    // Printable and varied (not all one byte) so neither side gets an unrealistically
    // compressible or degenerate value; fixed seed so runs store the same bytes.
    private static byte[] MakeValue(int size)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        var random = new Random(20_240_601);
        var value = new byte[size];
        for (var i = 0; i < value.Length; i++)
            value[i] = (byte)alphabet[random.Next(alphabet.Length)];
        return value;
    }
}
