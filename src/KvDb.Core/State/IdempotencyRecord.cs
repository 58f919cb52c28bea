// What kvdb remembers about a write that carried an Idempotency-Key, so a retry of it gets the
// first answer instead of being applied again.
// Layout: [outcome u8][revision i64][proposed-at i64][fingerprint u64][reply...], little-endian;
// the reply (a transaction's answer) takes the rest of the record, absent for plain writes.
// Invariants: the fingerprint identifies the request (key, value, kind, condition), so the same
// idempotency key sent with a different request is recognised as a mistake, not replayed.
using System.Buffers.Binary;
using System.IO.Hashing;
using KvDb.Core.Commands;

namespace KvDb.Core.State;

/// <summary>The remembered result of an idempotent write.</summary>
/// <param name="Result">The first result.</param>
/// <param name="ProposedAtUnixMs">When the first write's entry was proposed.</param>
/// <param name="Fingerprint">A hash of the request the key was first used with.</param>
public readonly record struct IdempotencyRecord(CommandResult Result, long ProposedAtUnixMs, ulong Fingerprint)
{
    private const int Size = 1 + sizeof(long) * 3;

    /// <summary>Encodes the record.</summary>
    public byte[] Encode()
    {
        var bytes = new byte[Size + (Result.Reply?.Length ?? 0)];
        bytes[0] = (byte)Result.Outcome;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(1), Result.Revision);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(9), ProposedAtUnixMs);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(17), Fingerprint);
        Result.Reply?.CopyTo(bytes.AsSpan(Size));
        return bytes;
    }

    /// <summary>Decodes a record written by <see cref="Encode"/>.</summary>
    public static IdempotencyRecord Decode(ReadOnlySpan<byte> bytes)
        => new(
            new((CommandOutcome)bytes[0], BinaryPrimitives.ReadInt64LittleEndian(bytes[1..]), Reply: bytes.Length > Size ? bytes[Size..].ToArray() : null),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[9..]),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[17..]));

    /// <summary>A hash of everything but the idempotency key of a key command.</summary>
    public static ulong FingerprintOf(KeyCommand command)
    {
        var hash = new XxHash64();
        Span<byte> scratch = stackalloc byte[sizeof(long) + 2];
        switch (command)
        {
            case PutCommand put:
                scratch[0] = 1;
                scratch[1] = (byte)put.Kind;
                hash.Append(scratch[..2]);
                AppendLengthPrefixed(hash, put.Key);
                AppendLengthPrefixed(hash, put.Value);
                AppendCondition(hash, put.Condition);
                break;
            case DeleteCommand delete:
                scratch[0] = 2;
                hash.Append(scratch[..1]);
                AppendLengthPrefixed(hash, delete.Key);
                AppendCondition(hash, delete.Condition);
                break;
        }

        return hash.GetCurrentHashAsUInt64();
    }

    private static void AppendLengthPrefixed(XxHash64 hash, ReadOnlySpan<byte> bytes)
    {
        Span<byte> length = stackalloc byte[sizeof(int)];
        BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
        hash.Append(length);
        hash.Append(bytes);
    }

    private static void AppendCondition(XxHash64 hash, Precondition? condition)
    {
        Span<byte> bytes = stackalloc byte[sizeof(long) + 3];
        if (condition is not null)
        {
            bytes[0] = 1;
            BinaryPrimitives.WriteInt64LittleEndian(bytes[1..], condition.Revision ?? -1);
            bytes[9] = condition.MustNotExist ? (byte)1 : (byte)0;
            bytes[10] = condition.MustExist ? (byte)1 : (byte)0;
        }

        hash.Append(bytes);
    }
}
