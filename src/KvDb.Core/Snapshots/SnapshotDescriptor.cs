// What a Raft snapshot message carries between kvdb members: not the state itself but where to
// fetch it. DotNext bounds every Raft request (a whole snapshot transfer included) by a
// timeout below the election timeout, far too short for a large state; so the state travels
// over HTTP at its own pace, and the Raft message only names it.
// Layout: magic "KVDBSNP2" | index i64 | term i64 | archive length i64 | url length u16 | url (UTF-8).
// Invariants: (index, term) name one flush point of the sender's engine; the archive fetched
// from the URL for that index is exactly that state, or the fetch fails.
using System.Buffers.Binary;
using System.Text;

namespace KvDb.Core.Snapshots;

/// <summary>Names a snapshot and where to fetch its archive.</summary>
/// <param name="Index">The Raft index of the state.</param>
/// <param name="Term">The Raft term of the entry at <paramref name="Index"/>.</param>
/// <param name="ArchiveLength">The archive's length in bytes.</param>
/// <param name="SourceUrl">The base URL of the member serving it (its peer URL).</param>
public sealed record SnapshotDescriptor(long Index, long Term, long ArchiveLength, string SourceUrl)
{
    private const int FixedSize = 8 + sizeof(long) * 3 + sizeof(ushort);
    private static ReadOnlySpan<byte> Magic => "KVDBSNP2"u8;

    /// <summary>The encoded descriptor.</summary>
    public byte[] Encode()
    {
        var url = Encoding.UTF8.GetBytes(SourceUrl);
        var bytes = new byte[FixedSize + url.Length];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), Index);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(16), Term);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(24), ArchiveLength);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(32), checked((ushort)url.Length));
        url.CopyTo(bytes.AsSpan(FixedSize));
        return bytes;
    }

    /// <summary>Decodes a descriptor written by <see cref="Encode"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a descriptor.</exception>
    public static SnapshotDescriptor Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < FixedSize || !bytes[..8].SequenceEqual(Magic))
            throw new InvalidDataException("The snapshot message is not a kvdb snapshot descriptor.");

        var urlLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[32..]);
        if (bytes.Length != FixedSize + urlLength)
            throw new InvalidDataException("The snapshot descriptor is truncated.");

        return new(
            BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[24..]),
            Encoding.UTF8.GetString(bytes[FixedSize..]));
    }
}

/// <summary>Fetches the archive a <see cref="SnapshotDescriptor"/> names (over HTTP, in a member).</summary>
public delegate Task<Stream> SnapshotFetcher(SnapshotDescriptor descriptor, CancellationToken token);

/// <summary>The snapshot could not be installed yet: its archive is still being fetched. The leader retries.</summary>
public sealed class SnapshotNotReadyException(string message) : Exception(message);
