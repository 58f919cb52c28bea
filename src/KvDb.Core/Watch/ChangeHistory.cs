// The change history watchers read: for each applied entry that changed user keys, one record
// of its changes at that revision (the entry's index), kept in the store's namespace 'h' next
// to the state it describes, so it survives restarts, snapshots and Raft log compaction alike.
// Layout: 'h' + revision (int64 big-endian) → ChangeRecord (MessagePack).
//         's' "history-compacted" → the highest revision forgotten (int64 little-endian).
// Invariants:
//  - A record is written in the same batch as the changes it describes: a reader sees both or
//    neither, and the history has no gap below the applied index above the compacted revision.
//  - Every change of one entry is in one record, in the order the commands applied. An entry
//    with transactions has a record even when they wrote nothing, for their outcomes (/v1/log).
//  - Records are forgotten oldest first, only when both older than the window (on the
//    entries' proposed-at clock, never a local clock) and more than the floor (revisions) old.
using System.Buffers.Binary;
using KvDb.Core.Commands;
using KvDb.Core.State;
using MessagePack;

namespace KvDb.Core.Watch;

/// <summary>One change to one key.</summary>
[MessagePackObject]
public sealed class ChangeEvent
{
    /// <summary>True for a delete, false for a put.</summary>
    [Key(0)]
    public bool Deleted { get; init; }

    /// <summary>The user key.</summary>
    [Key(1)]
    public required byte[] Key { get; init; }

    /// <summary>The new value (puts), raw or typed per <see cref="Kind"/>.</summary>
    [Key(2)]
    public byte[]? Value { get; init; }

    /// <summary>What <see cref="Value"/> holds.</summary>
    [Key(3)]
    public ValueKind Kind { get; init; }

    /// <summary>The value replaced or deleted, if the key existed.</summary>
    [Key(4)]
    public byte[]? Previous { get; init; }

    /// <summary>What <see cref="Previous"/> holds.</summary>
    [Key(5)]
    public ValueKind PreviousKind { get; init; }

    /// <summary>The revision of <see cref="Previous"/> (0 when the key did not exist).</summary>
    [Key(6)]
    public long PreviousRevision { get; init; }

    /// <summary>The lease a put attached the key to (0: none); null in records written before it was kept, and for deletes.</summary>
    [Key(7)]
    public long? Lease { get; init; }
}

/// <summary>The changes of one revision.</summary>
[MessagePackObject]
public sealed class ChangeRecord
{
    /// <summary>When the entry was proposed (Unix ms, the leader's clock).</summary>
    [Key(0)]
    public long ProposedAtUnixMs { get; init; }

    /// <summary>The changes, in the order they applied.</summary>
    [Key(1)]
    public required ChangeEvent[] Events { get; init; }

    /// <summary>For each transaction of the entry, in order: whether its comparisons held (then ran); null when it had none.</summary>
    [Key(2)]
    public bool[]? TransactionOutcomes { get; init; }
}

/// <summary>Reads the change history.</summary>
public static class ChangeHistory
{
    /// <summary>How long changes are kept at least, on the entries' proposed-at clock.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromMinutes(15);

    /// <summary>How many of the newest revisions are kept at least, however old (default).</summary>
    public const long DefaultFloor = 100_000;

    /// <summary>The counter key of the highest forgotten revision.</summary>
    public static readonly byte[] CompactedKey = [StoreKeys.Counters, .. "history-compacted"u8];

    internal static readonly MessagePackSerializerOptions Options =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>The store key of the record at <paramref name="revision"/>.</summary>
    public static byte[] KeyOf(long revision)
    {
        var key = new byte[1 + sizeof(long)];
        key[0] = StoreKeys.History;
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(1), revision);
        return key;
    }

    /// <summary>The revision a history store key names.</summary>
    public static long RevisionOf(ReadOnlySpan<byte> key) => BinaryPrimitives.ReadInt64BigEndian(key[1..]);

    /// <summary>The highest revision no longer in the history (0 when nothing was forgotten).</summary>
    public static long CompactedRevision(IKeyValueView view)
        => view.TryGet(CompactedKey, out var bytes) && bytes is { Length: sizeof(long) } ? BinaryPrimitives.ReadInt64LittleEndian(bytes) : 0;

    /// <summary>The records with revisions after <paramref name="afterRevision"/> in <paramref name="view"/>, in order.</summary>
    public static IEnumerable<(long Revision, ChangeRecord Record)> After(IKeyValueView view, long afterRevision)
    {
        foreach (var (key, value) in view.Scan(KeyOf(afterRevision + 1), StoreKeys.End(StoreKeys.History)))
            yield return (RevisionOf(key), Decode(value));
    }

    /// <summary>The record at <paramref name="revision"/>, or null when that entry changed nothing or is forgotten.</summary>
    public static ChangeRecord? At(IKeyValueView view, long revision)
        => view.TryGet(KeyOf(revision), out var bytes) && bytes is not null ? Decode(bytes) : null;

    /// <summary>Decodes a stored record.</summary>
    public static ChangeRecord Decode(byte[] bytes) => MessagePackSerializer.Deserialize<ChangeRecord>(bytes, Options);
}
