// The headers of a stream record, as one block stored with the item (ListItem.Headers), and the
// command records S2 defines: one header with an empty name whose value names the command.
// Block layout (little-endian): count u32, then per header: name length u32, name, value length
// u32, value. An empty header list is no block at all (null).
using System.Buffers.Binary;

namespace KvDb.Core.Streams;

/// <summary>What a record asks of its stream besides being stored.</summary>
public enum RecordCommand
{
    /// <summary>An ordinary record.</summary>
    None,

    /// <summary>Sets the stream's fencing token to the record's body.</summary>
    Fence,

    /// <summary>Trims the records below the big-endian u64 in the record's body.</summary>
    Trim,

    /// <summary>An empty-named header that names no known command, or one among other headers.</summary>
    Unknown,
}

/// <summary>Encodes and decodes record headers.</summary>
public static class RecordHeaders
{
    /// <summary>Encodes <paramref name="headers"/>; null for none.</summary>
    public static byte[]? Encode(IReadOnlyList<(byte[] Name, byte[] Value)> headers)
    {
        if (headers.Count == 0)
            return null;
        var size = sizeof(uint);
        foreach (var (name, value) in headers)
            size += (2 * sizeof(uint)) + name.Length + value.Length;
        var block = new byte[size];
        BinaryPrimitives.WriteUInt32LittleEndian(block, (uint)headers.Count);
        var at = sizeof(uint);
        foreach (var (name, value) in headers)
        {
            at = Put(block, at, name);
            at = Put(block, at, value);
        }

        return block;
    }

    /// <summary>Decodes a block made by <see cref="Encode"/>; empty for null.</summary>
    public static List<(byte[] Name, byte[] Value)> Decode(byte[]? block)
    {
        var headers = new List<(byte[], byte[])>();
        if (block is null)
            return headers;
        var count = BinaryPrimitives.ReadUInt32LittleEndian(block);
        var at = sizeof(uint);
        for (var i = 0u; i < count; i++)
        {
            var name = Take(block, ref at);
            var value = Take(block, ref at);
            headers.Add((name, value));
        }

        return headers;
    }

    /// <summary>The number of headers in a block.</summary>
    public static int Count(byte[]? block) => block is null ? 0 : (int)BinaryPrimitives.ReadUInt32LittleEndian(block);

    /// <summary>The command a record with these headers is.</summary>
    public static RecordCommand CommandOf(IReadOnlyList<(byte[] Name, byte[] Value)> headers)
    {
        var named = headers.Any(static h => h.Name.Length == 0);
        if (!named)
            return RecordCommand.None;
        if (headers.Count != 1)
            return RecordCommand.Unknown;
        return headers[0].Value.AsSpan() switch
        {
            var v when v.SequenceEqual("fence"u8) => RecordCommand.Fence,
            var v when v.SequenceEqual("trim"u8) => RecordCommand.Trim,
            _ => RecordCommand.Unknown,
        };
    }

    /// <summary>The command a record with this header block is.</summary>
    public static RecordCommand CommandOf(byte[]? block) => block is null ? RecordCommand.None : CommandOf(Decode(block));

    /// <summary>
    /// S2's metered size of a record: 8 + 2 per header + the bytes of the headers' names and
    /// values and of the body. Batch and read limits count it.
    /// </summary>
    public static long MeteredSize(byte[]? block, int bodyLength)
        => 8 + bodyLength + (block is null ? 0 : block.Length - sizeof(uint) - (6L * Count(block)));

    private static int Put(byte[] block, int at, byte[] bytes)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(at), (uint)bytes.Length);
        bytes.CopyTo(block, at + sizeof(uint));
        return at + sizeof(uint) + bytes.Length;
    }

    private static byte[] Take(byte[] block, ref int at)
    {
        var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(at));
        var bytes = block.AsSpan(at + sizeof(uint), length).ToArray();
        at += sizeof(uint) + length;
        return bytes;
    }
}
