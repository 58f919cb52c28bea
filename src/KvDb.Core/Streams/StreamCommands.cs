// S2's basin, stream and append commands as they travel through the Raft log.
// Invariants: plain data; what applying one does is decided by CommandExecutor at its point in
// the log. Timestamps the leader assigns come from the entry's proposed-at time, so every member
// assigns the same ones. Requests are validated (names, sizes, command records) before they are
// proposed; Validate here only guards the log against what could not be applied at all.
using KvDb.Core.Commands;
using MessagePack;

namespace KvDb.Core.Streams;

/// <summary>Creates basin <see cref="Name"/> (its keyspace and record), or with <see cref="Replace"/> creates or reconfigures it.</summary>
[MessagePackObject]
public sealed class PutBasinCommand : KvCommand
{
    /// <summary>The basin's name.</summary>
    [Key(0)]
    public required string Name { get; init; }

    /// <summary>Its configuration.</summary>
    [Key(1)]
    public required BasinConfig Config { get; init; }

    /// <summary>False: create only (a conflict if it exists, unless created with the same request token and configuration). True: create or replace the configuration.</summary>
    [Key(2)]
    public bool Replace { get; init; }

    /// <summary>The client's <c>s2-request-token</c>, or null.</summary>
    [Key(3)]
    public string? RequestToken { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 96 + Name.Length + (RequestToken?.Length ?? 0);

    /// <inheritdoc/>
    public override string? Validate() => string.IsNullOrEmpty(Name) || Config is null ? "a basin without a name or configuration" : null;
}

/// <summary>Deletes basin <see cref="Name"/>: its keyspace, lists, and records.</summary>
[MessagePackObject]
public sealed class DeleteBasinCommand : KvCommand
{
    /// <summary>The basin's name.</summary>
    [Key(0)]
    public required string Name { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 16 + Name.Length;

    /// <inheritdoc/>
    public override string? Validate() => string.IsNullOrEmpty(Name) ? "a basin deletion without a name" : null;
}

/// <summary>Creates stream <see cref="Stream"/> in <see cref="Basin"/>, or with <see cref="Replace"/> creates or reconfigures it.</summary>
[MessagePackObject]
public sealed class PutStreamCommand : KvCommand
{
    /// <summary>The basin.</summary>
    [Key(0)]
    public required string Basin { get; init; }

    /// <summary>The stream's name.</summary>
    [Key(1)]
    public required string Stream { get; init; }

    /// <summary>Its configuration, resolved.</summary>
    [Key(2)]
    public required StreamConfig Config { get; init; }

    /// <summary>False: create only. True: create or replace the configuration.</summary>
    [Key(3)]
    public bool Replace { get; init; }

    /// <summary>The client's <c>s2-request-token</c>, or null.</summary>
    [Key(4)]
    public string? RequestToken { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 96 + Basin.Length + Stream.Length + (RequestToken?.Length ?? 0);

    /// <inheritdoc/>
    public override string? Validate() => string.IsNullOrEmpty(Basin) || string.IsNullOrEmpty(Stream) || Config is null ? "a stream without a basin, a name or a configuration" : null;
}

/// <summary>Deletes stream <see cref="Stream"/> of <see cref="Basin"/> and its records.</summary>
[MessagePackObject]
public sealed class DeleteStreamCommand : KvCommand
{
    /// <summary>The basin.</summary>
    [Key(0)]
    public required string Basin { get; init; }

    /// <summary>The stream's name.</summary>
    [Key(1)]
    public required string Stream { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 16 + Basin.Length + Stream.Length;

    /// <inheritdoc/>
    public override string? Validate() => string.IsNullOrEmpty(Basin) || string.IsNullOrEmpty(Stream) ? "a stream deletion without a basin or a name" : null;
}

/// <summary>One record to append.</summary>
[MessagePackObject]
public sealed class StreamRecordInput
{
    /// <summary>The client's timestamp (Unix ms), or null.</summary>
    [Key(0)]
    public long? TimestampMs { get; init; }

    /// <summary>The headers as a <see cref="RecordHeaders"/> block, or null for none.</summary>
    [Key(1)]
    public byte[]? Headers { get; init; }

    /// <summary>The body.</summary>
    [Key(2)]
    public required byte[] Body { get; init; }
}

/// <summary>Appends a batch of records to a stream, all or nothing, with S2's conditions.</summary>
[MessagePackObject]
public sealed class StreamAppendCommand : KvCommand
{
    /// <summary>The basin.</summary>
    [Key(0)]
    public required string Basin { get; init; }

    /// <summary>The stream.</summary>
    [Key(1)]
    public required string Stream { get; init; }

    /// <summary>The records, in order.</summary>
    [Key(2)]
    public required StreamRecordInput[] Records { get; init; }

    /// <summary>The sequence number the first record must get, or null.</summary>
    [Key(3)]
    public long? MatchSeqNum { get; init; }

    /// <summary>The fencing token the stream must have, or null.</summary>
    [Key(4)]
    public string? FencingToken { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 48 + Basin.Length + Stream.Length + Records.Sum(static r => 24 + r.Body.Length + (r.Headers?.Length ?? 0));

    /// <inheritdoc/>
    public override string? Validate()
        => string.IsNullOrEmpty(Basin) || string.IsNullOrEmpty(Stream) || Records is not { Length: > 0 } || Array.Exists(Records, static r => r?.Body is null)
            ? "an append without a basin, a stream or well-formed records"
            : null;
}

/// <summary>
/// Retention: deletes the records of a stream below <see cref="TrimTo"/>. The leader chose the
/// point by its clock (every record below it was older than the stream's retention age); applying
/// only moves the first sequence number up to it, capped at the tail, and never back, so applying
/// it twice (or after a client's trim past it) changes nothing.
/// </summary>
[MessagePackObject]
public sealed class StreamRetentionTrimCommand : KvCommand
{
    /// <summary>The basin.</summary>
    [Key(0)]
    public required string Basin { get; init; }

    /// <summary>The stream.</summary>
    [Key(1)]
    public required string Stream { get; init; }

    /// <summary>The first sequence number to keep.</summary>
    [Key(2)]
    public long TrimTo { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 24 + Basin.Length + Stream.Length;

    /// <inheritdoc/>
    public override string? Validate() => string.IsNullOrEmpty(Basin) || string.IsNullOrEmpty(Stream) || TrimTo < 0 ? "a retention trim without a basin, a stream or a point" : null;
}

/// <summary>
/// delete_on_empty: deletes a stream that the leader found empty at tail <see cref="Tail"/>.
/// Applies only if the stream still is: empty, with that tail (nothing appended since), with
/// delete_on_empty still on, and idle for its minimum age at the entry's time; otherwise it
/// changes nothing, so an append that raced it is never lost.
/// </summary>
[MessagePackObject]
public sealed class DeleteEmptyStreamCommand : KvCommand
{
    /// <summary>The basin.</summary>
    [Key(0)]
    public required string Basin { get; init; }

    /// <summary>The stream.</summary>
    [Key(1)]
    public required string Stream { get; init; }

    /// <summary>The tail (next sequence number) the leader saw.</summary>
    [Key(2)]
    public long Tail { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 24 + Basin.Length + Stream.Length;

    /// <inheritdoc/>
    public override string? Validate() => string.IsNullOrEmpty(Basin) || string.IsNullOrEmpty(Stream) || Tail < 0 ? "a deletion of an empty stream without a basin, a stream or a tail" : null;
}
