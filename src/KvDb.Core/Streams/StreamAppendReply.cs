// What a stream append answered: the positions it assigned, or which of S2's conditions failed
// (then nothing was written).
using KvDb.Core.Commands;
using MessagePack;

namespace KvDb.Core.Streams;

/// <summary>How a stream append ended.</summary>
public enum StreamAppendStatus
{
    /// <summary>The records were appended.</summary>
    Appended,

    /// <summary>The basin does not exist.</summary>
    BasinNotFound,

    /// <summary>The stream does not exist and the basin does not create streams on append.</summary>
    StreamNotFound,

    /// <summary>The fencing token did not match; <see cref="StreamAppendReply.FencingToken"/> is the stream's.</summary>
    FencingTokenMismatch,

    /// <summary>match_seq_num did not match; <see cref="StreamAppendReply.TailSeqNum"/> is the next sequence number.</summary>
    SeqNumMismatch,

    /// <summary>The stream requires client timestamps and a record had none.</summary>
    TimestampRequired,
}

/// <summary>A stream append's answer.</summary>
[MessagePackObject]
public sealed class StreamAppendReply
{
    /// <summary>How it ended.</summary>
    [Key(0)]
    public StreamAppendStatus Status { get; init; }

    /// <summary>The first record's sequence number.</summary>
    [Key(1)]
    public long StartSeqNum { get; init; }

    /// <summary>The first record's timestamp.</summary>
    [Key(2)]
    public long StartTimestamp { get; init; }

    /// <summary>One past the last record's sequence number.</summary>
    [Key(3)]
    public long EndSeqNum { get; init; }

    /// <summary>The last record's timestamp.</summary>
    [Key(4)]
    public long EndTimestamp { get; init; }

    /// <summary>The stream's next sequence number after the entry.</summary>
    [Key(5)]
    public long TailSeqNum { get; init; }

    /// <summary>The stream's last timestamp after the entry.</summary>
    [Key(6)]
    public long TailTimestamp { get; init; }

    /// <summary>The stream's fencing token, for <see cref="StreamAppendStatus.FencingTokenMismatch"/>.</summary>
    [Key(7)]
    public string? FencingToken { get; init; }

    /// <summary>Encodes the reply.</summary>
    public byte[] Encode() => ReplyCodec.Encode(this);

    /// <summary>Decodes a reply made by <see cref="Encode"/>.</summary>
    public static StreamAppendReply Decode(byte[] bytes) => ReplyCodec.Decode<StreamAppendReply>(bytes);
}
