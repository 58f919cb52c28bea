// Where keyspaces and lists live in the store, and the form of their records.
// Layout (integers big-endian in keys, little-endian in values):
//   'S' + keyspace (UTF-8)                                  → created-at ms, keys, items, bytes
//   'M' + len16 + keyspace + key                            → ListMeta
//   'I' + len16 + keyspace + len16 + key + offset (int64)   → flags u8, nonce 16 B, timestamp i64,
//                                                             [headers length u32, headers], value
//   (flags: bit 0 the nonce is set, bit 1 headers follow the timestamp; items without headers
//   have the layout of the release before headers existed)
// Invariants:
//  - A list's items have offsets [FirstOffset, NextOffset) with no gap; offsets never repeat.
//  - Within a list, timestamps never decrease and nonces (where given) strictly increase with
//    the offset, so both can be sought by binary search over offsets: O(log n) point reads.
//  - Length prefixes keep one keyspace's or one list's keys contiguous and unambiguous.
using System.Buffers.Binary;
using System.Text;
using KvDb.Core.State;

namespace KvDb.Core.Lists;

/// <summary>A keyspace's record.</summary>
/// <param name="CreatedAtMs">When it was created (the leader's clock, Unix ms).</param>
/// <param name="Keys">Lists in it.</param>
/// <param name="Items">Items in all its lists.</param>
/// <param name="Bytes">Bytes of those items' values.</param>
public readonly record struct KeyspaceInfo(long CreatedAtMs, long Keys, long Items, long Bytes);

/// <summary>A list's metadata.</summary>
/// <param name="FirstOffset">The first offset held.</param>
/// <param name="NextOffset">The offset the next item gets.</param>
/// <param name="LastNonce">The last nonce accepted (16 bytes, big-endian), or null.</param>
/// <param name="FirstTimestampMs">The first item's time.</param>
/// <param name="LastTimestampMs">The last item's time.</param>
/// <param name="Bytes">Bytes of the items' values.</param>
public readonly record struct ListMeta(long FirstOffset, long NextOffset, byte[]? LastNonce, long FirstTimestampMs, long LastTimestampMs, long Bytes)
{
    /// <summary>How many items the list holds.</summary>
    public long Count => NextOffset - FirstOffset;
}

/// <summary>One stored item.</summary>
/// <param name="Offset">Its offset.</param>
/// <param name="Nonce">Its nonce (16 bytes, big-endian), or null.</param>
/// <param name="TimestampMs">Its time (Unix ms).</param>
/// <param name="Value">Its bytes.</param>
/// <param name="Headers">Its headers as their writer encoded them (S2 records have them), or null.</param>
public sealed record ListItem(long Offset, byte[]? Nonce, long TimestampMs, byte[] Value, byte[]? Headers = null)
{
    /// <summary>The bytes the item counts for in a list's and a keyspace's size.</summary>
    public long Size => Value.Length + (Headers?.Length ?? 0);
}

/// <summary>Keys and records of keyspaces and lists.</summary>
public static class ListStore
{
    /// <summary>Namespace of keyspaces.</summary>
    public const byte Keyspaces = (byte)'S';

    /// <summary>Namespace of list metadata.</summary>
    public const byte Metas = (byte)'M';

    /// <summary>Namespace of list items.</summary>
    public const byte Items = (byte)'I';

    /// <summary>The store key of keyspace <paramref name="name"/>.</summary>
    public static byte[] KeyspaceKey(string name) => [Keyspaces, .. Encoding.UTF8.GetBytes(name)];

    /// <summary>The start of the store keys of every list of a keyspace in namespace <paramref name="space"/>.</summary>
    public static byte[] KeyspacePrefix(byte space, string keyspace)
    {
        var name = Encoding.UTF8.GetBytes(keyspace);
        var key = new byte[3 + name.Length];
        key[0] = space;
        BinaryPrimitives.WriteUInt16BigEndian(key.AsSpan(1), (ushort)name.Length);
        name.CopyTo(key, 3);
        return key;
    }

    /// <summary>The store key of list <paramref name="key"/>'s metadata.</summary>
    public static byte[] MetaKey(string keyspace, byte[] key) => [.. KeyspacePrefix(Metas, keyspace), .. key];

    /// <summary>The start of list <paramref name="key"/>'s items.</summary>
    public static byte[] ItemPrefix(string keyspace, byte[] key)
    {
        var prefix = KeyspacePrefix(Items, keyspace);
        var result = new byte[prefix.Length + 2 + key.Length];
        prefix.CopyTo(result, 0);
        BinaryPrimitives.WriteUInt16BigEndian(result.AsSpan(prefix.Length), (ushort)key.Length);
        key.CopyTo(result, prefix.Length + 2);
        return result;
    }

    /// <summary>The store key of the item at <paramref name="offset"/>.</summary>
    public static byte[] ItemKey(byte[] itemPrefix, long offset)
    {
        var key = new byte[itemPrefix.Length + sizeof(long)];
        itemPrefix.CopyTo(key, 0);
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(itemPrefix.Length), offset);
        return key;
    }

    /// <summary>The offset in an item's store key.</summary>
    public static long OffsetOf(ReadOnlySpan<byte> itemKey) => BinaryPrimitives.ReadInt64BigEndian(itemKey[^sizeof(long)..]);

    /// <summary>The end (exclusive) of every store key that starts with <paramref name="prefix"/>.</summary>
    public static byte[] PrefixEnd(byte[] prefix) => Auth.KeyOrder.PrefixEnd(prefix) ?? StoreKeys.End(prefix[0]);

    /// <summary>Encodes a keyspace record.</summary>
    public static byte[] Encode(KeyspaceInfo info)
    {
        var bytes = new byte[4 * sizeof(long)];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, info.CreatedAtMs);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), info.Keys);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(16), info.Items);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(24), info.Bytes);
        return bytes;
    }

    /// <summary>Decodes a keyspace record.</summary>
    public static KeyspaceInfo DecodeKeyspace(ReadOnlySpan<byte> bytes)
        => new(BinaryPrimitives.ReadInt64LittleEndian(bytes), BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]), BinaryPrimitives.ReadInt64LittleEndian(bytes[16..]), BinaryPrimitives.ReadInt64LittleEndian(bytes[24..]));

    /// <summary>Encodes list metadata.</summary>
    public static byte[] Encode(ListMeta meta)
    {
        var bytes = new byte[5 * sizeof(long) + 17];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, meta.FirstOffset);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), meta.NextOffset);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(16), meta.FirstTimestampMs);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(24), meta.LastTimestampMs);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(32), meta.Bytes);
        if (meta.LastNonce is { } nonce)
        {
            bytes[40] = 1;
            nonce.CopyTo(bytes, 41);
        }

        return bytes;
    }

    /// <summary>Decodes list metadata.</summary>
    public static ListMeta DecodeMeta(ReadOnlySpan<byte> bytes)
        => new(BinaryPrimitives.ReadInt64LittleEndian(bytes), BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]),
            bytes[40] == 1 ? bytes.Slice(41, 16).ToArray() : null,
            BinaryPrimitives.ReadInt64LittleEndian(bytes[16..]), BinaryPrimitives.ReadInt64LittleEndian(bytes[24..]), BinaryPrimitives.ReadInt64LittleEndian(bytes[32..]));

    /// <summary>Encodes an item's record.</summary>
    public static byte[] Encode(byte[]? nonce, long timestampMs, byte[] value, byte[]? headers = null)
    {
        var head = headers is null ? 0 : sizeof(uint) + headers.Length;
        var bytes = new byte[1 + 16 + sizeof(long) + head + value.Length];
        if (nonce is not null)
        {
            bytes[0] = 1;
            nonce.CopyTo(bytes, 1);
        }

        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(17), timestampMs);
        if (headers is not null)
        {
            bytes[0] |= 2;
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(25), (uint)headers.Length);
            headers.CopyTo(bytes, 29);
        }

        value.CopyTo(bytes, 25 + head);
        return bytes;
    }

    /// <summary>Decodes the item at <paramref name="offset"/>.</summary>
    public static ListItem DecodeItem(long offset, byte[] bytes)
    {
        var nonce = (bytes[0] & 1) != 0 ? bytes.AsSpan(1, 16).ToArray() : null;
        var timestamp = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(17));
        if ((bytes[0] & 2) == 0)
            return new(offset, nonce, timestamp, bytes[25..]);
        var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(25));
        return new(offset, nonce, timestamp, bytes[(29 + length)..], bytes.AsSpan(29, length).ToArray());
    }
}
