// The key every sorted structure of the engine is ordered by: user key + 8-byte trailer.
// Layout: userKey | trailer u64 LE, where trailer = sequence << 8 | kind.
// Invariants:
//  - Order: user key ascending (unsigned bytes), then sequence DESCENDING, then kind
//    descending. So for one user key the newest version comes first, and seeking to
//    (userKey, S, Put) lands on the newest version visible at sequence S.
//  - Sequences are unique per entry and grow monotonically for the life of the data
//    (across restarts and checkpoint installs), so two entries never share a trailer.
//  - A delete is a tombstone: it shadows older versions until compaction proves no older
//    version remains below it.
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace KvDb.Core.Storage;

/// <summary>What an entry does to its user key.</summary>
internal enum EntryKind : byte
{
    /// <summary>A tombstone: the key has no value from this sequence on.</summary>
    Delete = 0,

    /// <summary>The key has the entry's value.</summary>
    Put = 1,
}

/// <summary>Encodes, decodes and orders internal keys.</summary>
internal static class InternalKey
{
    public const int TrailerLength = 8;
    public const ulong MaxSequence = (1UL << 56) - 1;

    /// <summary>The kind that sorts first for a given user key and sequence, used for seeks.</summary>
    public const EntryKind SeekKind = EntryKind.Put;

    public static ulong PackTrailer(ulong sequence, EntryKind kind) => (sequence << 8) | (byte)kind;

    public static int EncodedLength(ReadOnlySpan<byte> userKey) => userKey.Length + TrailerLength;

    public static void Write(Span<byte> destination, ReadOnlySpan<byte> userKey, ulong sequence, EntryKind kind)
    {
        userKey.CopyTo(destination);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[userKey.Length..], PackTrailer(sequence, kind));
    }

    public static byte[] Create(ReadOnlySpan<byte> userKey, ulong sequence, EntryKind kind)
    {
        var key = new byte[EncodedLength(userKey)];
        Write(key, userKey, sequence, kind);
        return key;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> UserKey(ReadOnlySpan<byte> internalKey) => internalKey[..^TrailerLength];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Trailer(ReadOnlySpan<byte> internalKey)
        => BinaryPrimitives.ReadUInt64LittleEndian(internalKey[^TrailerLength..]);

    public static ulong Sequence(ReadOnlySpan<byte> internalKey) => Trailer(internalKey) >> 8;

    public static EntryKind Kind(ReadOnlySpan<byte> internalKey) => (EntryKind)(byte)Trailer(internalKey);

    /// <summary>True when the bytes are long enough and carry a known kind.</summary>
    public static bool IsWellFormed(ReadOnlySpan<byte> internalKey)
        => internalKey.Length >= TrailerLength && (byte)Trailer(internalKey) <= (byte)EntryKind.Put;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Compare(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        var byUser = UserKey(x).SequenceCompareTo(UserKey(y));
        return byUser != 0 ? byUser : Trailer(y).CompareTo(Trailer(x));
    }

    /// <summary>
    /// A key k with last &lt;= k &lt; next, as short as possible, for index blocks: it keeps
    /// large user keys out of the index when neighbouring blocks differ early.
    /// </summary>
    public static byte[] Separator(ReadOnlySpan<byte> last, ReadOnlySpan<byte> next)
    {
        var a = UserKey(last);
        var b = UserKey(next);
        var common = a.CommonPrefixLength(b);
        if (common < a.Length && common < b.Length && a[common] < 0xFF && a[common] + 1 < b[common])
        {
            var shorter = new byte[common + 1 + TrailerLength];
            a[..common].CopyTo(shorter);
            shorter[common] = (byte)(a[common] + 1);
            BinaryPrimitives.WriteUInt64LittleEndian(shorter.AsSpan(common + 1), PackTrailer(MaxSequence, SeekKind));
            return shorter;
        }

        return last.ToArray();
    }
}

/// <summary>Orders encoded internal keys held in arrays.</summary>
internal sealed class InternalKeyComparer : IComparer<byte[]>
{
    public static readonly InternalKeyComparer Instance = new();

    public int Compare(byte[]? x, byte[]? y) => InternalKey.Compare(x, y);
}
