// Records between S2's documents and kvdb's: an append's records checked against S2's rules
// and turned into StreamRecordInput, stored items turned into S2's JSON records.
// Invariants:
//  - s2-format raw (the default, also "json") carries header names, values and bodies as text;
//    base64 (also "json-binsafe") as standard base64. Nothing else is affected.
//  - A batch is 1 to 1,000 records of at most 1 MiB metered; a header name is empty only in a
//    command record (one header, "fence" with a body of at most 36 bytes or "trim" with 8).
using System.Text;
using KvDb.Contracts;
using KvDb.Core.Lists;
using KvDb.Core.Streams;

namespace KvDb.Node.Streams;

/// <summary>Converts and checks records.</summary>
public static class S2Records
{
    /// <summary>The most records in a batch.</summary>
    public const int MaxBatchRecords = 1000;

    /// <summary>The most metered bytes in a batch.</summary>
    public const long MaxBatchBytes = 1 << 20;

    /// <summary>The longest fencing token, in bytes.</summary>
    public const int MaxFencingTokenBytes = 36;

    /// <summary>Whether the request asks for base64 (true), raw text (false), or names an unknown format (error).</summary>
    public static (bool Base64, S2Error? Error) FormatOf(HttpRequest request) => request.Headers["s2-format"].ToString() switch
    {
        "" or "raw" or "json" => (false, null),
        "base64" or "json-binsafe" => (true, null),
        var other => (false, S2Error.BadHeader($"`s2-format` is raw or base64, not '{other}'")),
    };

    /// <summary>Checks a batch and converts it.</summary>
    public static (StreamRecordInput[]? Records, S2Error? Error) FromJson(IReadOnlyList<S2AppendRecordJson>? records, bool base64)
    {
        if (records is null)
            return (null, S2Error.BadJson("`records` is required"));
        var converted = new List<(long?, List<(byte[], byte[])>, byte[])>(records.Count);
        foreach (var record in records)
        {
            var headers = new List<(byte[], byte[])>();
            foreach (var pair in record.Headers ?? [])
            {
                if (pair is not { Count: 2 })
                    return (null, S2Error.BadJson("a header is a [name, value] pair"));
                if (Decode(pair[0], base64) is not { } name || Decode(pair[1], base64) is not { } value)
                    return (null, S2Error.Invalid("a header is not valid base64"));
                headers.Add((name, value));
            }

            if (Decode(record.Body ?? "", base64) is not { } body)
                return (null, S2Error.Invalid("a body is not valid base64"));
            converted.Add((record.Timestamp, headers, body));
        }

        return Check(converted);
    }

    /// <summary>Checks a protobuf batch and converts it.</summary>
    public static (StreamRecordInput[]? Records, S2Error? Error) FromProto(ProtoAppend append)
        => Check([.. append.Records.Select(static r => (r.Timestamp, r.Headers, r.Body))]);

    private static (StreamRecordInput[]? Records, S2Error? Error) Check(List<(long? Timestamp, List<(byte[] Name, byte[] Value)> Headers, byte[] Body)> records)
    {
        if (records.Count is 0 or > MaxBatchRecords)
            return (null, S2Error.Invalid($"a batch holds 1 to {MaxBatchRecords} records"));
        var inputs = new StreamRecordInput[records.Count];
        long metered = 0;
        for (var i = 0; i < records.Count; i++)
        {
            var (timestamp, headers, body) = records[i];
            if (timestamp is < 0)
                return (null, S2Error.Invalid("a timestamp is not negative"));
            switch (RecordHeaders.CommandOf(headers))
            {
                case RecordCommand.Unknown:
                    return (null, S2Error.Invalid("a header with an empty name is a command record: one header, 'fence' or 'trim'"));
                case RecordCommand.Fence when body.Length > MaxFencingTokenBytes:
                    return (null, S2Error.Invalid($"a fencing token is at most {MaxFencingTokenBytes} bytes"));
                case RecordCommand.Trim when body.Length != 8:
                    return (null, S2Error.Invalid("a trim record's body is 8 bytes: the big-endian sequence number to trim below"));
            }

            var block = RecordHeaders.Encode(headers);
            metered += RecordHeaders.MeteredSize(block, body.Length);
            inputs[i] = new StreamRecordInput { TimestampMs = timestamp, Headers = block, Body = body };
        }

        return metered > MaxBatchBytes ? (null, S2Error.Invalid($"a batch is at most {MaxBatchBytes} metered bytes")) : (inputs, null);
    }

    /// <summary>A stored item as S2's JSON record.</summary>
    public static S2SequencedRecordJson ToJson(ListItem item, bool base64)
    {
        var headers = RecordHeaders.Decode(item.Headers);
        return new S2SequencedRecordJson
        {
            SeqNum = item.Offset,
            Timestamp = item.TimestampMs,
            Headers = headers.Count == 0 ? null : [.. headers.Select(h => (IReadOnlyList<string>)[Encode(h.Name, base64), Encode(h.Value, base64)])],
            Body = item.Value.Length == 0 ? null : Encode(item.Value, base64),
        };
    }

    /// <summary>An item's metered size.</summary>
    public static long MeteredSize(ListItem item) => RecordHeaders.MeteredSize(item.Headers, item.Value.Length);

    private static byte[]? Decode(string text, bool base64)
    {
        if (!base64)
            return Encoding.UTF8.GetBytes(text);
        var bytes = new byte[(text.Length * 3 / 4) + 3];
        return Convert.TryFromBase64String(text, bytes, out var written) ? bytes[..written] : null;
    }

    private static string Encode(byte[] bytes, bool base64) => base64 ? Convert.ToBase64String(bytes) : Encoding.UTF8.GetString(bytes);
}
