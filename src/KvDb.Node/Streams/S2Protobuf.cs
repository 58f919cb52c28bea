// The few messages of S2's protobuf encoding (package s2.v1) that unary appends and reads use,
// read and written by hand: AppendInput in, AppendAck and ReadBatch out. Field numbers are S2's.
//   StreamPosition{1 seq_num, 2 timestamp}  Header{1 name, 2 value}
//   AppendRecord{1 timestamp?, 2 headers*, 3 body}  AppendInput{1 records*, 2 match_seq_num?, 3 fencing_token?}
//   AppendAck{1 start, 2 end, 3 tail}  SequencedRecord{1 seq_num, 2 timestamp, 3 headers*, 4 body}
//   ReadBatch{1 records*, 2 tail?}
// Invariants: a malformed message is reported (null and a reason), never thrown; unknown fields
// are skipped, as protobuf readers do.
using System.Buffers;
using KvDb.Core.Lists;
using KvDb.Core.Streams;

namespace KvDb.Node.Streams;

/// <summary>An append request decoded from protobuf.</summary>
/// <param name="Records">The records, with their headers as pairs.</param>
/// <param name="MatchSeqNum">match_seq_num, or null.</param>
/// <param name="FencingToken">fencing_token, or null.</param>
public sealed record ProtoAppend(List<ProtoRecord> Records, long? MatchSeqNum, string? FencingToken);

/// <summary>One record of a protobuf append.</summary>
/// <param name="Timestamp">Its timestamp, or null.</param>
/// <param name="Headers">Its headers.</param>
/// <param name="Body">Its body.</param>
public sealed record ProtoRecord(long? Timestamp, List<(byte[] Name, byte[] Value)> Headers, byte[] Body);

/// <summary>Reads and writes S2's protobuf messages.</summary>
public static class S2Protobuf
{
    /// <summary>The media type.</summary>
    public const string MediaType = "application/protobuf";

    /// <summary>Decodes an AppendInput, or says why it cannot.</summary>
    public static (ProtoAppend? Append, string? Error) ReadAppend(ReadOnlySpan<byte> bytes)
    {
        var records = new List<ProtoRecord>();
        long? match = null;
        string? token = null;
        var reader = new Reader(bytes);
        while (!reader.End)
        {
            if (!reader.Tag(out var field, out var wire))
                return (null, reader.Error);
            switch (field, wire)
            {
                case (1, 2):
                    if (!reader.Bytes(out var record) || ReadRecord(record) is not { } parsed)
                        return (null, "a malformed AppendRecord");
                    records.Add(parsed);
                    break;
                case (2, 0):
                    if (!reader.Varint(out var m))
                        return (null, reader.Error);
                    match = (long)m;
                    break;
                case (3, 2):
                    if (!reader.Bytes(out var t))
                        return (null, reader.Error);
                    token = System.Text.Encoding.UTF8.GetString(t);
                    break;
                default:
                    if (!reader.Skip(wire))
                        return (null, reader.Error);
                    break;
            }
        }

        return (new ProtoAppend(records, match, token), null);
    }

    private static ProtoRecord? ReadRecord(ReadOnlySpan<byte> bytes)
    {
        long? timestamp = null;
        var headers = new List<(byte[], byte[])>();
        var body = Array.Empty<byte>();
        var reader = new Reader(bytes);
        while (!reader.End)
        {
            if (!reader.Tag(out var field, out var wire))
                return null;
            switch (field, wire)
            {
                case (1, 0):
                    if (!reader.Varint(out var t))
                        return null;
                    timestamp = (long)t;
                    break;
                case (2, 2):
                    if (!reader.Bytes(out var header) || ReadHeader(header) is not { } pair)
                        return null;
                    headers.Add(pair);
                    break;
                case (3, 2):
                    if (!reader.Bytes(out var b))
                        return null;
                    body = b.ToArray();
                    break;
                default:
                    if (!reader.Skip(wire))
                        return null;
                    break;
            }
        }

        return new ProtoRecord(timestamp, headers, body);
    }

    private static (byte[], byte[])? ReadHeader(ReadOnlySpan<byte> bytes)
    {
        byte[] name = [], value = [];
        var reader = new Reader(bytes);
        while (!reader.End)
        {
            if (!reader.Tag(out var field, out var wire))
                return null;
            if (wire == 2 && field is 1 or 2)
            {
                if (!reader.Bytes(out var b))
                    return null;
                if (field == 1)
                    name = b.ToArray();
                else
                    value = b.ToArray();
            }
            else if (!reader.Skip(wire))
            {
                return null;
            }
        }

        return (name, value);
    }

    /// <summary>Encodes an AppendAck.</summary>
    public static byte[] WriteAck(long startSeq, long startTs, long endSeq, long endTs, long tailSeq, long tailTs)
    {
        var writer = new ArrayBufferWriter<byte>(64);
        Message(writer, 1, Position(startSeq, startTs));
        Message(writer, 2, Position(endSeq, endTs));
        Message(writer, 3, Position(tailSeq, tailTs));
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Encodes a ReadBatch.</summary>
    public static byte[] WriteBatch(IReadOnlyList<ListItem> items, (long Seq, long Ts)? tail)
    {
        var writer = new ArrayBufferWriter<byte>(256);
        foreach (var item in items)
        {
            var record = new ArrayBufferWriter<byte>(32 + item.Value.Length);
            Varint(record, 1, (ulong)item.Offset);
            Varint(record, 2, (ulong)item.TimestampMs);
            foreach (var (name, value) in RecordHeaders.Decode(item.Headers))
            {
                var header = new ArrayBufferWriter<byte>(8 + name.Length + value.Length);
                Bytes(header, 1, name);
                Bytes(header, 2, value);
                Message(writer: record, 3, header.WrittenSpan);
            }

            Bytes(record, 4, item.Value);
            Message(writer, 1, record.WrittenSpan);
        }

        if (tail is { } t)
            Message(writer, 2, Position(t.Seq, t.Ts));
        return writer.WrittenSpan.ToArray();
    }

    private static byte[] Position(long seq, long ts)
    {
        var writer = new ArrayBufferWriter<byte>(20);
        Varint(writer, 1, (ulong)seq);
        Varint(writer, 2, (ulong)ts);
        return writer.WrittenSpan.ToArray();
    }

    private static void Varint(ArrayBufferWriter<byte> writer, int field, ulong value)
    {
        if (value == 0)
            return;
        Raw(writer, (ulong)(field << 3));
        Raw(writer, value);
    }

    private static void Bytes(ArrayBufferWriter<byte> writer, int field, ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
            return;
        Message(writer, field, value);
    }

    private static void Message(ArrayBufferWriter<byte> writer, int field, ReadOnlySpan<byte> value)
    {
        Raw(writer, (ulong)((field << 3) | 2));
        Raw(writer, (ulong)value.Length);
        writer.Write(value);
    }

    private static void Raw(ArrayBufferWriter<byte> writer, ulong value)
    {
        var span = writer.GetSpan(10);
        var n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[n++] = (byte)value;
        writer.Advance(n);
    }

    private ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> bytes = bytes;
        private int at;

        public readonly bool End => at >= bytes.Length;

        public string? Error { get; private set; }

        public bool Tag(out int field, out int wire)
        {
            field = wire = 0;
            if (!Varint(out var tag))
                return false;
            field = (int)(tag >> 3);
            wire = (int)(tag & 7);
            return Fail(field > 0, "a field number of 0");
        }

        public bool Varint(out ulong value)
        {
            value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (at >= bytes.Length)
                    return Fail(false, "a varint cut short");
                var b = bytes[at++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                    return true;
            }

            return Fail(false, "a varint over 10 bytes");
        }

        public bool Bytes(out ReadOnlySpan<byte> value)
        {
            value = default;
            if (!Varint(out var length))
                return false;
            if (length > (ulong)(bytes.Length - at))
                return Fail(false, "a length past the end");
            value = bytes.Slice(at, (int)length);
            at += (int)length;
            return true;
        }

        public bool Skip(int wire)
        {
            switch (wire)
            {
                case 0:
                    return Varint(out _);
                case 1:
                    at += 8;
                    return Fail(at <= bytes.Length, "a fixed64 cut short");
                case 2:
                    return Bytes(out _);
                case 5:
                    at += 4;
                    return Fail(at <= bytes.Length, "a fixed32 cut short");
                default:
                    return Fail(false, $"wire type {wire}");
            }
        }

        private bool Fail(bool ok, string error)
        {
            if (!ok)
                Error = error;
            return ok;
        }
    }
}
