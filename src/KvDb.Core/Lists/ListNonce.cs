// A list item's nonce: 16 bytes, big-endian unsigned, shown as a decimal string because it may
// pass 2^53 and JSON numbers beyond that lose precision in most clients.
using System.Globalization;
using System.Numerics;

namespace KvDb.Core.Lists;

/// <summary>Formats item nonces.</summary>
public static class ListNonce
{
    /// <summary>The nonce as a decimal string.</summary>
    public static string Format(byte[] nonce) => new BigInteger(nonce, isUnsigned: true, isBigEndian: true).ToString(CultureInfo.InvariantCulture);
}
