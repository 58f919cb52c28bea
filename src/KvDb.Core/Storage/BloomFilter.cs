// A per-table Bloom filter over user keys, so a point lookup skips tables that cannot hold
// the key without reading their index or data.
// Layout: bit array | probeCount u8.
// Invariants:
//  - No false negatives: every key whose hash was added makes MayContain return true.
//  - False positives stay near 0.6185^bitsPerKey (about 1% at 10 bits a key): probes use
//    double hashing (Kirsch-Mitzenmacher) over one 64-bit XxHash3 of the key.
//  - A filter the reader does not understand (too short, unknown probe count) answers
//    "may contain", which costs a read but never hides data.
using System.IO.Hashing;

namespace KvDb.Core.Storage;

internal static class BloomFilter
{
    private const int MaxProbes = 30;

    public static ulong Hash(ReadOnlySpan<byte> userKey) => XxHash3.HashToUInt64(userKey);

    public static int ProbeCount(int bitsPerKey) => Math.Clamp((int)Math.Round(bitsPerKey * 0.69), 1, MaxProbes);

    public static byte[] Build(ReadOnlySpan<ulong> keyHashes, int bitsPerKey)
    {
        var bitCount = Math.Max(64L, (long)keyHashes.Length * bitsPerKey);
        var byteCount = checked((int)((bitCount + 7) / 8));
        var filter = new byte[byteCount + 1];
        var probes = ProbeCount(bitsPerKey);
        filter[^1] = (byte)probes;
        var bits = (ulong)byteCount * 8;
        foreach (var hash in keyHashes)
        {
            var (position, step) = Split(hash);
            for (var i = 0; i < probes; i++)
            {
                var bit = position % bits;
                filter[bit >> 3] |= (byte)(1 << (int)(bit & 7));
                position += step;
            }
        }

        return filter;
    }

    public static bool MayContain(ReadOnlySpan<byte> filter, ulong hash)
    {
        if (filter.Length < 2 || filter[^1] is 0 or > MaxProbes)
            return true;
        var probes = filter[^1];
        var bits = (ulong)(filter.Length - 1) * 8;
        var (position, step) = Split(hash);
        for (var i = 0; i < probes; i++)
        {
            var bit = position % bits;
            if ((filter[(int)(bit >> 3)] & (1 << (int)(bit & 7))) == 0)
                return false;
            position += step;
        }

        return true;
    }

    private static (ulong Position, ulong Step) Split(ulong hash) => (hash, (hash >> 33) | (hash << 31) | 1);
}
