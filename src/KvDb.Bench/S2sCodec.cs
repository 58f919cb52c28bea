// The client's half of S2's s2s session protocol, for `kvdb bench s2`: frames and the few s2.v1
// protobuf messages a session carries (the server's half is KvDb.Node's S2sFrames and
// S2Protobuf, which this must match byte for byte; see docs/api/s2-streams.md).
//   frame: [length: 3 bytes big-endian, counting the flag byte and the payload][flag][payload]
//   flag:  0x80 terminal (payload = 2-byte big-endian HTTP status + S2's error JSON),
//          0x60 compression (00 none), 0x10 reconnect advised, low four bits reserved
//   AppendRecord{1 timestamp?, 2 headers*, 3 body}  AppendInput{1 records*, 2 match_seq_num?, 3 fencing_token?}
//   Header{1 name, 2 value}  StreamPosition{1 seq_num, 2 timestamp}  AppendAck{1 start, 2 end, 3 tail}
//   SequencedRecord{1 seq_num, 2 timestamp, 3 headers*, 4 body}  ReadBatch{1 records*, 2 tail?}
// Invariants:
//  - Encoding writes each message into one array sized exactly in advance; a bench builds its
//    AppendInput frame once and sends the same bytes for every input.
//  - Decoding reads spans in place (no copies, no allocation per record); unknown fields are
//    skipped as protobuf readers do; anything malformed is an InvalidDataException.
//  - A ReadBatch's tail is known only after every field has been read (protobuf fields may come
//    in any order), i.e. once TryNext has returned false.
using System.Buffers.Binary;
using System.Text;

namespace KvDb.Bench;

/// <summary>A position in a stream: a sequence number and a timestamp (ms).</summary>
public readonly record struct S2Position(long SeqNum, long Timestamp);

/// <summary>An AppendAck: the first appended position, one past the last, and the stream's tail.</summary>
public readonly record struct S2Ack(S2Position Start, S2Position End, S2Position Tail);

/// <summary>One record to append.</summary>
/// <param name="Body">Its body.</param>
/// <param name="Timestamp">Its timestamp (ms), or null to let the stream assign one.</param>
/// <param name="Headers">Its headers as name/value pairs, or null for none.</param>
public readonly record struct S2AppendRecord(ReadOnlyMemory<byte> Body, long? Timestamp = null, IReadOnlyList<KeyValuePair<byte[], byte[]>>? Headers = null);

/// <summary>Encodes and decodes s2s frames and their protobuf payloads.</summary>
public static class S2sCodec
{
    /// <summary>The media type of a session (Content-Type of the request, and of the answer).</summary>
    public const string MediaType = "s2s/proto";

    /// <summary>Bytes before a frame's payload: the 3-byte length and the flag byte.</summary>
    public const int HeaderLength = 4;

    /// <summary>The largest length field the protocol allows (16 MiB - 1).</summary>
    public const int MaxLength = (1 << 24) - 1;

    /// <summary>The flag bit of a terminal frame.</summary>
    public const byte TerminalFlag = 0x80;

    /// <summary>The flag bits that name a compression.</summary>
    public const byte CompressionMask = 0x60;

    /// <summary>A regular frame holding one AppendInput of <paramref name="records"/>.</summary>
    public static byte[] AppendInputFrame(IReadOnlyList<S2AppendRecord> records, long? matchSeqNum = null, string? fencingToken = null)
    {
        ArgumentNullException.ThrowIfNull(records);
        var tokenBytes = fencingToken is null ? null : Encoding.UTF8.GetBytes(fencingToken);
        long size = 0;
        foreach (var record in records)
            size += Field(RecordSize(record));
        if (matchSeqNum is { } m)
            size += 1 + VarintSize((ulong)m);
        if (tokenBytes is not null)
            size += Field(tokenBytes.Length);
        if (size + 1 > MaxLength)
            throw new ArgumentException($"an AppendInput of {size} bytes does not fit in one frame", nameof(records));

        var frame = new byte[HeaderLength + size];
        WriteHeader(frame, (int)size + 1, 0);
        var at = HeaderLength;
        foreach (var record in records)
        {
            at = Tag(frame, at, 1, 2);
            at = Varint(frame, at, (ulong)RecordSize(record));
            if (record.Timestamp is { } ts)
                at = Varint(frame, Tag(frame, at, 1, 0), (ulong)ts);
            if (record.Headers is { } headers)
            {
                foreach (var (name, value) in headers)
                {
                    at = Varint(frame, Tag(frame, at, 2, 2), (ulong)HeaderSize(name, value));
                    at = Bytes(frame, at, 1, name);
                    at = Bytes(frame, at, 2, value);
                }
            }

            at = Bytes(frame, at, 3, record.Body.Span);
        }

        if (matchSeqNum is { } match)
            at = Varint(frame, Tag(frame, at, 2, 0), (ulong)match);
        if (tokenBytes is not null)
        {
            at = Varint(frame, Tag(frame, at, 3, 2), (ulong)tokenBytes.Length);
            tokenBytes.CopyTo(frame, at);
        }

        return frame;
    }

    /// <summary>The payload length and flags of the frame whose first <see cref="HeaderLength"/> bytes are <paramref name="header"/>.</summary>
    /// <exception cref="InvalidDataException">The length is 0 (a frame has at least its flag byte).</exception>
    public static (int PayloadLength, byte Flags) ReadHeader(ReadOnlySpan<byte> header)
    {
        var length = (header[0] << 16) | (header[1] << 8) | header[2];
        if (length < 1)
            throw new InvalidDataException("an s2s frame with a length of 0");
        return (length - 1, header[3]);
    }

    /// <summary>Decodes an AppendAck payload.</summary>
    public static S2Ack ReadAck(ReadOnlySpan<byte> payload)
    {
        var reader = new ProtoReader(payload);
        S2Position start = default, end = default, tail = default;
        while (!reader.End)
        {
            var (field, wire) = reader.Tag();
            switch (field, wire)
            {
                case (1, 2):
                    start = ReadPosition(reader.LengthDelimited());
                    break;
                case (2, 2):
                    end = ReadPosition(reader.LengthDelimited());
                    break;
                case (3, 2):
                    tail = ReadPosition(reader.LengthDelimited());
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        return new S2Ack(start, end, tail);
    }

    /// <summary>Decodes a terminal frame's payload: the HTTP status and S2's error JSON.</summary>
    public static (int Status, string Error) ReadTerminal(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 2)
            throw new InvalidDataException("a terminal s2s frame without its status");
        return (BinaryPrimitives.ReadUInt16BigEndian(payload), Encoding.UTF8.GetString(payload[2..]));
    }

    internal static S2Position ReadPosition(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtoReader(bytes);
        long seq = 0, ts = 0;
        while (!reader.End)
        {
            var (field, wire) = reader.Tag();
            if (field == 1 && wire == 0)
                seq = (long)reader.Varint();
            else if (field == 2 && wire == 0)
                ts = (long)reader.Varint();
            else
                reader.Skip(wire);
        }

        return new S2Position(seq, ts);
    }

    private static void WriteHeader(Span<byte> frame, int length, byte flags)
    {
        frame[0] = (byte)(length >> 16);
        frame[1] = (byte)(length >> 8);
        frame[2] = (byte)length;
        frame[3] = flags;
    }

    private static long RecordSize(S2AppendRecord record)
    {
        long size = record.Timestamp is { } ts ? 1 + VarintSize((ulong)ts) : 0;
        if (record.Headers is { } headers)
        {
            foreach (var (name, value) in headers)
                size += Field(HeaderSize(name, value));
        }

        return size + (record.Body.IsEmpty ? 0 : Field(record.Body.Length));
    }

    private static long HeaderSize(byte[] name, byte[] value)
        => (name.Length == 0 ? 0 : Field(name.Length)) + (value.Length == 0 ? 0 : Field(value.Length));

    // A length-delimited field of a one-byte tag: tag, length, bytes.
    private static long Field(long length) => 1 + VarintSize((ulong)length) + length;

    private static int VarintSize(ulong value)
    {
        var n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }

        return n;
    }

    private static int Tag(byte[] into, int at, int field, int wire) => Varint(into, at, (ulong)((field << 3) | wire));

    // Empty bytes are left out, as proto3 leaves out default values (the server does the same).
    private static int Bytes(byte[] into, int at, int field, ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
            return at;
        at = Varint(into, Tag(into, at, field, 2), (ulong)value.Length);
        value.CopyTo(into.AsSpan(at));
        return at + value.Length;
    }

    private static int Varint(byte[] into, int at, ulong value)
    {
        while (value >= 0x80)
        {
            into[at++] = (byte)(value | 0x80);
            value >>= 7;
        }

        into[at++] = (byte)value;
        return at;
    }
}

/// <summary>One record of a ReadBatch, read in place: valid until the batch's buffer is reused.</summary>
public readonly ref struct S2SequencedRecord
{
    /// <summary>A record at <paramref name="seqNum"/>.</summary>
    public S2SequencedRecord(long seqNum, long timestamp, int headerCount, long headerBytes, ReadOnlySpan<byte> body)
    {
        SeqNum = seqNum;
        Timestamp = timestamp;
        HeaderCount = headerCount;
        HeaderBytes = headerBytes;
        Body = body;
    }

    /// <summary>Its sequence number.</summary>
    public long SeqNum { get; }

    /// <summary>Its timestamp (ms).</summary>
    public long Timestamp { get; }

    /// <summary>How many headers it has.</summary>
    public int HeaderCount { get; }

    /// <summary>The bytes of its header names and values together.</summary>
    public long HeaderBytes { get; }

    /// <summary>Its body.</summary>
    public ReadOnlySpan<byte> Body { get; }

    /// <summary>Its size as S2 meters it: 8 + 2 per header + header names and values + body.</summary>
    public long MeteredSize => 8 + (2L * HeaderCount) + HeaderBytes + Body.Length;
}

/// <summary>Reads a ReadBatch payload record by record, in place.</summary>
public ref struct S2ReadBatchReader
{
    private ProtoReader reader;

    /// <summary>A reader of <paramref name="payload"/> (one ReadBatch message).</summary>
    public S2ReadBatchReader(ReadOnlySpan<byte> payload) => reader = new ProtoReader(payload);

    /// <summary>The batch's tail, when it has one; complete once <see cref="TryNext"/> has returned false.</summary>
    public S2Position? Tail { get; private set; }

    /// <summary>The next record, or false when the batch has no more.</summary>
    public bool TryNext(out S2SequencedRecord record)
    {
        while (!reader.End)
        {
            var (field, wire) = reader.Tag();
            if (field == 1 && wire == 2)
            {
                record = ReadRecord(reader.LengthDelimited());
                return true;
            }

            if (field == 2 && wire == 2)
                Tail = S2sCodec.ReadPosition(reader.LengthDelimited());
            else
                reader.Skip(wire);
        }

        record = default;
        return false;
    }

    private static S2SequencedRecord ReadRecord(ReadOnlySpan<byte> bytes)
    {
        var r = new ProtoReader(bytes);
        long seq = 0, ts = 0, headerBytes = 0;
        var headers = 0;
        ReadOnlySpan<byte> body = default;
        while (!r.End)
        {
            var (field, wire) = r.Tag();
            switch (field, wire)
            {
                case (1, 0):
                    seq = (long)r.Varint();
                    break;
                case (2, 0):
                    ts = (long)r.Varint();
                    break;
                case (3, 2):
                    headers++;
                    headerBytes += HeaderBytes(r.LengthDelimited());
                    break;
                case (4, 2):
                    body = r.LengthDelimited();
                    break;
                default:
                    r.Skip(wire);
                    break;
            }
        }

        return new S2SequencedRecord(seq, ts, headers, headerBytes, body);
    }

    private static long HeaderBytes(ReadOnlySpan<byte> header)
    {
        var r = new ProtoReader(header);
        long bytes = 0;
        while (!r.End)
        {
            var (field, wire) = r.Tag();
            if (wire == 2 && field is 1 or 2)
                bytes += r.LengthDelimited().Length;
            else
                r.Skip(wire);
        }

        return bytes;
    }
}

// A protobuf reader over a span; every malformation is an InvalidDataException.
internal ref struct ProtoReader(ReadOnlySpan<byte> bytes)
{
    private readonly ReadOnlySpan<byte> bytes = bytes;
    private int at;

    public readonly bool End => at >= bytes.Length;

    public (int Field, int Wire) Tag()
    {
        var tag = Varint();
        var field = (int)(tag >> 3);
        return field > 0 ? (field, (int)(tag & 7)) : throw new InvalidDataException("a protobuf field number of 0");
    }

    public ulong Varint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (at >= bytes.Length)
                throw new InvalidDataException("a protobuf varint cut short");
            var b = bytes[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return value;
        }

        throw new InvalidDataException("a protobuf varint over 10 bytes");
    }

    public ReadOnlySpan<byte> LengthDelimited()
    {
        var length = Varint();
        if (length > (ulong)(bytes.Length - at))
            throw new InvalidDataException("a protobuf length past the end of its message");
        var value = bytes.Slice(at, (int)length);
        at += (int)length;
        return value;
    }

    public void Skip(int wire)
    {
        switch (wire)
        {
            case 0:
                Varint();
                return;
            case 2:
                LengthDelimited();
                return;
            case 1 or 5:
                at += wire == 1 ? 8 : 4;
                if (at > bytes.Length)
                    throw new InvalidDataException("a protobuf fixed-size field cut short");
                return;
            default:
                throw new InvalidDataException($"protobuf wire type {wire}");
        }
    }
}

/// <summary>Reads s2s frames from a response body, one at a time, into a reused buffer.</summary>
/// <param name="stream">The body.</param>
public sealed class S2sFrameReader(Stream stream)
{
    private byte[] buffer = new byte[64 << 10];
    private int start;
    private int end;
    private int payloadAt;
    private int payloadLength;

    /// <summary>The flag byte of the frame last read.</summary>
    public byte Flags { get; private set; }

    /// <summary>Whether the frame last read is terminal (its payload is a status and S2's error JSON).</summary>
    public bool IsTerminal => (Flags & S2sCodec.TerminalFlag) != 0;

    /// <summary>The payload of the frame last read; valid until the next read.</summary>
    public ReadOnlySpan<byte> Payload => buffer.AsSpan(payloadAt, payloadLength);

    /// <summary>Reads the next frame; false at the end of the body.</summary>
    /// <exception cref="InvalidDataException">The body ends inside a frame, or the frame is compressed.</exception>
    public async ValueTask<bool> ReadAsync(CancellationToken cancel)
    {
        start = payloadAt + payloadLength;
        if (!await FillAsync(S2sCodec.HeaderLength, cancel).ConfigureAwait(false))
            return false;
        var (length, flags) = S2sCodec.ReadHeader(buffer.AsSpan(start, S2sCodec.HeaderLength));
        if (!await FillAsync(S2sCodec.HeaderLength + length, cancel).ConfigureAwait(false))
            throw new InvalidDataException("the s2s body ended inside a frame");
        if ((flags & S2sCodec.CompressionMask) != 0)
            throw new InvalidDataException("a compressed s2s frame (the bench does not ask for compression)");
        Flags = flags;
        payloadAt = start + S2sCodec.HeaderLength;
        payloadLength = length;
        return true;
    }

    // Makes buffer[start..start+count] hold the next count bytes; false when the body ended first
    // (with nothing read at all, or an exception when it ended part way).
    private async ValueTask<bool> FillAsync(int count, CancellationToken cancel)
    {
        if (end - start >= count)
            return true;
        if (start + count > buffer.Length)
        {
            var into = count > buffer.Length ? new byte[Math.Max(count, 2 * buffer.Length)] : buffer;
            Buffer.BlockCopy(buffer, start, into, 0, end - start);
            (buffer, end, start, payloadAt, payloadLength) = (into, end - start, 0, 0, 0);
        }

        while (end - start < count)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(end), cancel).ConfigureAwait(false);
            if (read == 0)
            {
                if (end == start)
                    return false;
                throw new InvalidDataException("the s2s body ended inside a frame");
            }

            end += read;
        }

        return true;
    }
}
