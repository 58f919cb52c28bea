// Encodes a batch of commands as the payload of one Raft log entry.
// Layout: [format version: 1 byte][proposed-at: i64 little-endian, Unix ms][MessagePack array of KvCommand].
// Invariants:
//  - One entry carries the commands of many concurrent clients (group commit); they are
//    applied in array order, atomically with respect to readers of the state machine.
//  - The proposed-at time is the leader's clock when it built the entry. It is the only
//    clock the state machine reads (for idempotency-key expiry), so every member, replaying
//    at any time, computes the same state.
//  - The version byte lets a newer member refuse (loudly) an entry format it does not know,
//    instead of misreading it.
using System.Buffers;
using System.Buffers.Binary;
using MessagePack;

namespace KvDb.Core.Commands;

/// <summary>A decoded log entry payload.</summary>
/// <param name="ProposedAtUnixMs">When the leader built the entry, in Unix milliseconds.</param>
/// <param name="Commands">The commands, in application order.</param>
public readonly record struct CommandBatch(long ProposedAtUnixMs, KvCommand[] Commands);

/// <summary>Serializes command batches to and from Raft log entry payloads.</summary>
public static class LogEntryCodec
{
    /// <summary>The format version written by this build.</summary>
    public const byte CurrentVersion = 1;

    private const int HeaderSize = 1 + sizeof(long);


    /// <summary>Encodes <paramref name="commands"/>, proposed at <paramref name="proposedAtUnixMs"/>, into a new byte array.</summary>
    public static byte[] Encode(IReadOnlyList<KvCommand> commands, long proposedAtUnixMs, CommandRegistry? registry = null)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var buffer = new ArrayBufferWriter<byte>(EstimateSize(commands));
        var header = buffer.GetSpan(HeaderSize);
        header[0] = CurrentVersion;
        BinaryPrimitives.WriteInt64LittleEndian(header[1..], proposedAtUnixMs);
        buffer.Advance(HeaderSize);
        MessagePackSerializer.Serialize(buffer, commands, (registry ?? CommandRegistry.Default).SerializerOptions);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes a payload produced by <see cref="Encode"/>.</summary>
    /// <exception cref="InvalidDataException">The payload is empty, of an unknown version, or malformed.</exception>
    public static CommandBatch Decode(ReadOnlySequence<byte> payload, CommandRegistry? registry = null)
    {
        if (payload.IsEmpty)
            throw new InvalidDataException("Empty command payload.");

        var version = payload.FirstSpan[0];
        if (version != CurrentVersion)
            throw new InvalidDataException($"Unsupported log entry format version {version}; this build understands {CurrentVersion}.");
        if (payload.Length < HeaderSize)
            throw new InvalidDataException("Truncated command payload header.");

        Span<byte> header = stackalloc byte[HeaderSize];
        payload.Slice(0, HeaderSize).CopyTo(header);
        var proposedAt = BinaryPrimitives.ReadInt64LittleEndian(header[1..]);
        try
        {
            var commands = MessagePackSerializer.Deserialize<KvCommand[]>(payload.Slice(HeaderSize), (registry ?? CommandRegistry.Default).SerializerOptions)
                ?? throw new InvalidDataException("Null command array.");
            foreach (var command in commands)
            {
                if ((command is null ? "a null command" : command.Validate()) is { } problem)
                    throw new InvalidDataException($"Malformed command payload: {problem}.");
            }

            return new(proposedAt, commands);
        }
        catch (MessagePackSerializationException e)
        {
            throw new InvalidDataException("Malformed command payload.", e);
        }
    }

    /// <inheritdoc cref="Decode(ReadOnlySequence{byte}, CommandRegistry?)"/>
    public static CommandBatch Decode(ReadOnlyMemory<byte> payload, CommandRegistry? registry = null) => Decode(new ReadOnlySequence<byte>(payload), registry);

    private static int EstimateSize(IReadOnlyList<KvCommand> commands)
    {
        var size = HeaderSize + 8;
        foreach (var command in commands)
            size += command.ApproximateSize;
        return size;
    }
}
