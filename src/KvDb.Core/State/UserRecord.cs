// The stored form of a user key's value.
// Layout: [kind u8][revision i64 little-endian][payload]
// Invariants: revision is the Raft index of the entry that last wrote the key; it only grows.
using System.Buffers.Binary;
using KvDb.Core.Commands;

namespace KvDb.Core.State;

/// <summary>Encodes and decodes stored user values.</summary>
public static class UserRecord
{
    /// <summary>The size of the header before the payload.</summary>
    public const int HeaderSize = 1 + sizeof(long);

    /// <summary>Encodes a stored value.</summary>
    public static byte[] Encode(ValueKind kind, long revision, ReadOnlySpan<byte> payload)
    {
        var record = new byte[HeaderSize + payload.Length];
        record[0] = (byte)kind;
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(1), revision);
        payload.CopyTo(record.AsSpan(HeaderSize));
        return record;
    }

    /// <summary>The kind of a stored value.</summary>
    public static ValueKind Kind(ReadOnlySpan<byte> record) => (ValueKind)record[0];

    /// <summary>The revision of a stored value.</summary>
    public static long Revision(ReadOnlySpan<byte> record) => BinaryPrimitives.ReadInt64LittleEndian(record[1..]);

    /// <summary>The payload of a stored value.</summary>
    public static ReadOnlyMemory<byte> Payload(byte[] record) => record.AsMemory(HeaderSize);
}
