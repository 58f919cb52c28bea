// S2's s2s session framing, over an HTTP request or response body:
//   [length: 3 bytes, big-endian, counting the flag byte and the payload][flag byte][payload]
// Flag bits: 0x80 terminal (the payload is a 2-byte big-endian HTTP status and S2's error
// JSON; the session ends after it), 0x60 compression (00 none), 0x10 reconnect advised, the low
// four bits reserved. Regular payloads are one protobuf message: AppendInput from the client,
// AppendAck or ReadBatch from the server.
// Invariants: kvdb never compresses what it sends (a client gets compressed frames only when it
// asked with Accept-Encoding, which kvdb does not honour here), and refuses compressed or
// terminal frames from a client; a frame over 2 MiB is refused before it is read.
using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;

namespace KvDb.Node.Streams;

/// <summary>One frame read from a client.</summary>
/// <param name="Flags">The flag byte.</param>
/// <param name="Payload">The payload.</param>
public sealed record S2sFrame(byte Flags, byte[] Payload);

/// <summary>Reads and writes s2s frames.</summary>
public static class S2sFrames
{
    /// <summary>The media type that opens a session.</summary>
    public const string MediaType = "s2s/proto";

    /// <summary>The longest frame (length field) accepted.</summary>
    public const int MaxFrame = 2 << 20;

    private const byte Terminal = 0x80;
    private const byte Compression = 0x60;

    /// <summary>The next frame, null at the end of the body, or the error that ends the session.</summary>
    public static async Task<(S2sFrame? Frame, S2Error? Error)> ReadAsync(PipeReader reader, CancellationToken cancel)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancel);
            var buffer = result.Buffer;
            if (buffer.Length >= 4)
            {
                var head = buffer.Slice(0, 4).ToArray();
                var length = (head[0] << 16) | (head[1] << 8) | head[2];
                if (length is < 1 or > MaxFrame)
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                    return (null, new S2Error(400, "bad_frame", $"a frame length of {length} is outside 1 to {MaxFrame}"));
                }

                if (buffer.Length >= 3 + length)
                {
                    var payload = buffer.Slice(4, length - 1).ToArray();
                    reader.AdvanceTo(buffer.GetPosition(3 + length));
                    var flags = head[3];
                    if ((flags & Terminal) != 0)
                        return (null, new S2Error(400, "bad_frame", "a client sent a terminal frame"));
                    if ((flags & Compression) != 0)
                        return (null, new S2Error(400, "bad_frame", "kvdb does not take compressed frames"));
                    return (new S2sFrame(flags, payload), null);
                }
            }

            if (result.IsCompleted)
            {
                reader.AdvanceTo(buffer.End);
                return buffer.Length == 0 ? (null, null) : (null, new S2Error(400, "bad_frame", "the body ended inside a frame"));
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>A regular frame holding <paramref name="payload"/>.</summary>
    public static byte[] Regular(ReadOnlySpan<byte> payload) => Frame(0, payload);

    /// <summary>The terminal frame of <paramref name="error"/>.</summary>
    public static byte[] TerminalOf(S2Error error)
    {
        var json = error.ToJson();
        var payload = new byte[2 + json.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)error.Status);
        json.CopyTo(payload, 2);
        return Frame(Terminal, payload);
    }

    private static byte[] Frame(byte flags, ReadOnlySpan<byte> payload)
    {
        var length = payload.Length + 1;
        var frame = new byte[3 + length];
        frame[0] = (byte)(length >> 16);
        frame[1] = (byte)(length >> 8);
        frame[2] = (byte)length;
        frame[3] = flags;
        payload.CopyTo(frame.AsSpan(4));
        return frame;
    }
}
