// The stored form of a user key's value.
// Layout: [kind u8 | 0x80][revision i64][create revision i64][version i64][lease i64][payload],
//         integers little-endian. Records written before create revisions were kept lack the
//         0x80 bit and the three fields after the revision: [kind u8][revision i64][payload].
// Invariants:
//  - revision is the Raft index of the entry that last wrote the key; it only grows.
//  - create revision is the index of the entry that created the key (the first write after it
//    was absent) and version counts the writes since then, 1 for the creating write. An old
//    record reads as created at its revision with version 1: the best that is known of it.
//  - lease is the id of the lease the key is attached to, 0 for none; the lease's attachment
//    index ('A' + lease + key) holds the key exactly while this field names the lease.
using System.Buffers.Binary;
using KvDb.Core.Commands;

namespace KvDb.Core.State;

/// <summary>Encodes and decodes stored user values.</summary>
public static class UserRecord
{
    private const byte Extended = 0x80;
    private const int LegacyHeaderSize = 1 + sizeof(long);
    private const int HeaderSize = 1 + 4 * sizeof(long);

    /// <summary>Encodes a stored value written at <paramref name="revision"/>, for a key created at <paramref name="createRevision"/> and now at <paramref name="version"/>.</summary>
    public static byte[] Encode(ValueKind kind, long revision, long createRevision, long version, ReadOnlySpan<byte> payload, long lease = 0)
    {
        var record = new byte[HeaderSize + payload.Length];
        record[0] = (byte)((byte)kind | Extended);
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(1), revision);
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(9), createRevision);
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(17), version);
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(25), lease);
        payload.CopyTo(record.AsSpan(HeaderSize));
        return record;
    }

    /// <summary>Encodes a write at <paramref name="revision"/> over <paramref name="previous"/> (null: the key is created).</summary>
    public static byte[] EncodeOver(byte[]? previous, ValueKind kind, long revision, ReadOnlySpan<byte> payload, long lease = 0)
        => previous is null
            ? Encode(kind, revision, revision, 1, payload, lease)
            : Encode(kind, revision, CreateRevision(previous), Version(previous) + 1, payload, lease);

    /// <summary>The lease the key is attached to, or 0.</summary>
    public static long Lease(ReadOnlySpan<byte> record)
        => IsExtended(record) ? BinaryPrimitives.ReadInt64LittleEndian(record[25..]) : 0;

    /// <summary>The kind of a stored value.</summary>
    public static ValueKind Kind(ReadOnlySpan<byte> record) => (ValueKind)(record[0] & ~Extended);

    /// <summary>The revision of a stored value.</summary>
    public static long Revision(ReadOnlySpan<byte> record) => BinaryPrimitives.ReadInt64LittleEndian(record[1..]);

    /// <summary>The revision the key was created at.</summary>
    public static long CreateRevision(ReadOnlySpan<byte> record)
        => IsExtended(record) ? BinaryPrimitives.ReadInt64LittleEndian(record[9..]) : Revision(record);

    /// <summary>How many times the key was written since it was created.</summary>
    public static long Version(ReadOnlySpan<byte> record)
        => IsExtended(record) ? BinaryPrimitives.ReadInt64LittleEndian(record[17..]) : 1;

    /// <summary>The payload of a stored value.</summary>
    public static ReadOnlyMemory<byte> Payload(byte[] record) => record.AsMemory(IsExtended(record) ? HeaderSize : LegacyHeaderSize);

    private static bool IsExtended(ReadOnlySpan<byte> record) => (record[0] & Extended) != 0;
}
