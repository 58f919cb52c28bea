// The records of S2's streams API as KvClient gives and takes them: records to append (bytes,
// headers, an optional timestamp), records read, append options and read options. Basin and
// stream listings, configurations, positions and acknowledgements are KvDb.Contracts' own S2
// records (S2BasinInfoJson, S2StreamConfigJson, S2PositionJson, S2AppendAckJson, ...).
// Invariants: bodies and header names and values are bytes, sent as base64 (s2-format: base64)
// so any bytes round-trip; timestamps are Unix milliseconds on the wire.
using System.Buffers.Binary;
using System.Text;

namespace KvDb.Client;

/// <summary>A header of an S2 record: a name and a value, both bytes.</summary>
/// <param name="Name">The name (empty only in a command record).</param>
/// <param name="Value">The value.</param>
public sealed record S2Header(byte[] Name, byte[] Value)
{
    /// <summary>A header whose name and value are <paramref name="name"/> and <paramref name="value"/> as UTF-8.</summary>
    public S2Header(string name, string value)
        : this(Encoding.UTF8.GetBytes(name ?? throw new ArgumentNullException(nameof(name))), Encoding.UTF8.GetBytes(value ?? throw new ArgumentNullException(nameof(value))))
    {
    }

    /// <summary>The name as UTF-8 text.</summary>
    public string NameAsString() => Encoding.UTF8.GetString(Name);

    /// <summary>The value as UTF-8 text.</summary>
    public string ValueAsString() => Encoding.UTF8.GetString(Value);
}

/// <summary>A record to append to an S2 stream.</summary>
/// <param name="Body">The body's bytes.</param>
/// <param name="Headers">Its headers; null for none.</param>
/// <param name="Timestamp">The client's timestamp (the stream's timestamping mode decides whether it is kept); null for the arrival time.</param>
public sealed record S2AppendRecord(byte[] Body, IReadOnlyList<S2Header>? Headers = null, DateTimeOffset? Timestamp = null)
{
    /// <summary>A record whose body is <paramref name="body"/> as UTF-8.</summary>
    public S2AppendRecord(string body, IReadOnlyList<S2Header>? headers = null, DateTimeOffset? timestamp = null)
        : this(Encoding.UTF8.GetBytes(body ?? throw new ArgumentNullException(nameof(body))), headers, timestamp)
    {
    }

    /// <summary>
    /// The command record that sets the stream's fencing token to <paramref name="token"/> (at most
    /// 36 bytes of UTF-8; empty removes it): later appends must carry it as <see cref="S2AppendOptions.FencingToken"/>.
    /// </summary>
    public static S2AppendRecord Fence(string token)
        => new(Encoding.UTF8.GetBytes(token ?? throw new ArgumentNullException(nameof(token))), [new S2Header([], "fence"u8.ToArray())]);

    /// <summary>The command record that trims the stream: records below <paramref name="seqNum"/> are removed.</summary>
    public static S2AppendRecord Trim(long seqNum)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(seqNum);
        var body = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(body, seqNum);
        return new S2AppendRecord(body, [new S2Header([], "trim"u8.ToArray())]);
    }
}

/// <summary>A record of an S2 stream, as read.</summary>
/// <param name="SeqNum">Its sequence number, from 0, contiguous.</param>
/// <param name="TimestampMs">Its timestamp, Unix milliseconds.</param>
/// <param name="Headers">Its headers (a command record has one, with an empty name).</param>
/// <param name="Body">Its body.</param>
public sealed record S2StreamRecord(long SeqNum, long TimestampMs, IReadOnlyList<S2Header> Headers, byte[] Body)
{
    /// <summary>Its timestamp.</summary>
    public DateTimeOffset Timestamp => DateTimeOffset.FromUnixTimeMilliseconds(TimestampMs);

    /// <summary>The body as UTF-8 text.</summary>
    public string BodyAsString() => Encoding.UTF8.GetString(Body);

    /// <summary>Whether it is a command record (<c>fence</c> or <c>trim</c>): one header with an empty name.</summary>
    public bool IsCommand => Headers is [{ Name.Length: 0 }];
}

/// <summary>The conditions of an S2 append.</summary>
public sealed class S2AppendOptions
{
    /// <summary>
    /// The sequence number the first record must get (the stream's tail); null for none. An
    /// append that carries it is safe to retry: sent twice, the second finds the tail moved and
    /// fails with <see cref="S2SeqNumMismatchException"/> instead of appending again.
    /// </summary>
    public long? MatchSeqNum { get; init; }

    /// <summary>The fencing token the stream must have (set by <see cref="S2AppendRecord.Fence"/>); null for none.</summary>
    public string? FencingToken { get; init; }
}

/// <summary>Where an S2 read starts and when it stops. Give at most one of <see cref="SeqNum"/>, <see cref="Timestamp"/> and <see cref="TailOffset"/>; none starts at the tail, as in S2.</summary>
public sealed class S2ReadOptions
{
    /// <summary>Start at this sequence number.</summary>
    public long? SeqNum { get; init; }

    /// <summary>Start at the first record at or after this time.</summary>
    public DateTimeOffset? Timestamp { get; init; }

    /// <summary>Start this many records before the tail.</summary>
    public long? TailOffset { get; init; }

    /// <summary>A start past the tail starts at the tail instead of failing with <see cref="S2RangeNotSatisfiableException"/>.</summary>
    public bool Clamp { get; init; }

    /// <summary>The most records (a single read returns at most 1,000).</summary>
    public long? Count { get; init; }

    /// <summary>The most metered bytes (a single read returns at most 1 MiB).</summary>
    public long? Bytes { get; init; }

    /// <summary>Stop before the first record at or after this time.</summary>
    public DateTimeOffset? Until { get; init; }
}
