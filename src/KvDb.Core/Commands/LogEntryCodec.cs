// Encodes a batch of commands as the payload of one Raft log entry.
// Layout: [format version: 1 byte][MessagePack array of KvCommand].
// Invariants:
//  - One entry carries the commands of many concurrent clients (group commit); they are
//    applied in array order, atomically with respect to readers of the state machine.
//  - The version byte lets a newer member refuse (loudly) an entry format it does not know,
//    instead of misreading it.
using System.Buffers;
using MessagePack;

namespace KvDb.Core.Commands;

/// <summary>Serializes command batches to and from Raft log entry payloads.</summary>
public static class LogEntryCodec
{
    /// <summary>The format version written by this build.</summary>
    public const byte CurrentVersion = 1;

    private static readonly MessagePackSerializerOptions Options =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>Encodes <paramref name="commands"/> into a new byte array.</summary>
    public static byte[] Encode(IReadOnlyList<KvCommand> commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var buffer = new ArrayBufferWriter<byte>(EstimateSize(commands));
        buffer.GetSpan(1)[0] = CurrentVersion;
        buffer.Advance(1);
        MessagePackSerializer.Serialize(buffer, commands, Options);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes a payload produced by <see cref="Encode"/>.</summary>
    /// <exception cref="InvalidDataException">The payload is empty, of an unknown version, or malformed.</exception>
    public static KvCommand[] Decode(ReadOnlySequence<byte> payload)
    {
        if (payload.IsEmpty)
            throw new InvalidDataException("Empty command payload.");

        var version = payload.FirstSpan[0];
        if (version != CurrentVersion)
            throw new InvalidDataException($"Unsupported log entry format version {version}; this build understands {CurrentVersion}.");

        try
        {
            return MessagePackSerializer.Deserialize<KvCommand[]>(payload.Slice(1), Options)
                ?? throw new InvalidDataException("Null command array.");
        }
        catch (MessagePackSerializationException e)
        {
            throw new InvalidDataException("Malformed command payload.", e);
        }
    }

    /// <inheritdoc cref="Decode(ReadOnlySequence{byte})"/>
    public static KvCommand[] Decode(ReadOnlyMemory<byte> payload) => Decode(new ReadOnlySequence<byte>(payload));

    private static int EstimateSize(IReadOnlyList<KvCommand> commands)
    {
        var size = 8;
        foreach (var command in commands)
            size += command.ApproximateSize;
        return size;
    }
}
