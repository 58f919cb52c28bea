// Where S2's basins and streams keep what lists do not: a basin is a keyspace (ListStore 'S')
// plus an optional record here, a stream is a list (ListStore 'M' and 'I') plus an optional
// record here. A keyspace or list written through the lists API reads as a basin or stream with
// the default configuration.
// Layout:
//   'B' + basin (UTF-8)                  → BasinRecord (MessagePack)
//   'T' + len16 + basin + stream (UTF-8)  → StreamRecord (MessagePack)
// Invariants: a record here means nothing without its keyspace or list; creating one overwrites
// a record left over from a keyspace deleted through the lists API.
using System.Text;
using KvDb.Core.Commands;
using KvDb.Core.Lists;
using KvDb.Core.State;

namespace KvDb.Core.Streams;

/// <summary>Keys and records of basins and streams.</summary>
public static class StreamStore
{
    /// <summary>Namespace of basin records.</summary>
    public const byte Basins = (byte)'B';

    /// <summary>Namespace of stream records.</summary>
    public const byte Streams = (byte)'T';

    /// <summary>The store key of basin <paramref name="basin"/>'s record.</summary>
    public static byte[] BasinKey(string basin) => [Basins, .. Encoding.UTF8.GetBytes(basin)];

    /// <summary>The store key of stream <paramref name="stream"/>'s record.</summary>
    public static byte[] StreamKey(string basin, string stream) => [.. ListStore.KeyspacePrefix(Streams, basin), .. Encoding.UTF8.GetBytes(stream)];

    /// <summary>Encodes a record.</summary>
    public static byte[] Encode<T>(T record) => ReplyCodec.Encode(record);

    /// <summary>Decodes a record.</summary>
    public static T Decode<T>(byte[] bytes) => ReplyCodec.Decode<T>(bytes);

    /// <summary>The basin's record, or null when the keyspace has none (or does not exist).</summary>
    public static BasinRecord? Basin(IKeyValueView view, string basin)
        => view.TryGet(BasinKey(basin), out var bytes) && bytes is not null ? Decode<BasinRecord>(bytes) : null;

    /// <summary>The stream's record, or null when the list has none.</summary>
    public static StreamRecord? Stream(IKeyValueView view, string basin, string stream)
        => view.TryGet(StreamKey(basin, stream), out var bytes) && bytes is not null ? Decode<StreamRecord>(bytes) : null;
}
