// The stored form of a cache entry: an 18-byte header, then the value as given.
//   byte 0      'K' (0x4B), a marker
//   byte 1      format version (1)
//   bytes 2-9   sliding window in milliseconds, big-endian (0: no sliding expiration)
//   bytes 10-17 absolute expiry, Unix milliseconds, big-endian (0: none)
// The header travels with the value so that any client (any process) refreshing a sliding entry
// knows its window and the absolute cap without a second key; the key's kvdb lease enforces
// expiry, and the header only tells how long the next lease should be.
using System.Buffers.Binary;

namespace KvDb.Extensions.Caching;

/// <summary>Packs and unpacks a cache entry's value with its expiration settings.</summary>
internal readonly record struct CacheEnvelope(long SlidingMs, long AbsoluteUnixMs)
{
    /// <summary>The header's length.</summary>
    public const int HeaderBytes = 18;

    private const byte Marker = (byte)'K';
    private const byte Version = 1;

    /// <summary>The header followed by <paramref name="value"/>.</summary>
    public byte[] Pack(ReadOnlySpan<byte> value)
    {
        var stored = new byte[HeaderBytes + value.Length];
        stored[0] = Marker;
        stored[1] = Version;
        BinaryPrimitives.WriteInt64BigEndian(stored.AsSpan(2), SlidingMs);
        BinaryPrimitives.WriteInt64BigEndian(stored.AsSpan(10), AbsoluteUnixMs);
        value.CopyTo(stored.AsSpan(HeaderBytes));
        return stored;
    }

    /// <summary>The settings and value of a stored entry; false when <paramref name="stored"/> was not written by this cache.</summary>
    public static bool TryUnpack(byte[] stored, out CacheEnvelope envelope, out byte[] value)
    {
        envelope = default;
        value = [];
        if (stored.Length < HeaderBytes || stored[0] != Marker || stored[1] != Version)
            return false;
        envelope = new CacheEnvelope(BinaryPrimitives.ReadInt64BigEndian(stored.AsSpan(2)), BinaryPrimitives.ReadInt64BigEndian(stored.AsSpan(10)));
        if (envelope.SlidingMs < 0 || envelope.AbsoluteUnixMs < 0)
            return false;
        value = stored.AsSpan(HeaderBytes).ToArray();
        return true;
    }
}
