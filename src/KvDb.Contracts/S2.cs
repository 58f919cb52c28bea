// The documents of S2's streams API (basins, streams, records) as kvdb serves them, in S2's own
// snake_case. Shapes follow S2's public OpenAPI description and what s2-lite serves; fields kvdb
// leaves out when they do not apply are [JsonIgnore(WhenWritingNull)].
using System.Text.Json.Serialization;

namespace KvDb.Contracts;

/// <summary>Source-generated metadata for S2's documents.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(S2BasinInfoJson))]
[JsonSerializable(typeof(S2BasinListJson))]
[JsonSerializable(typeof(S2BasinConfigJson))]
[JsonSerializable(typeof(S2CreateBasinJson))]
[JsonSerializable(typeof(S2PutBasinJson))]
[JsonSerializable(typeof(S2StreamInfoJson))]
[JsonSerializable(typeof(S2StreamListJson))]
[JsonSerializable(typeof(S2StreamConfigJson))]
[JsonSerializable(typeof(S2CreateStreamJson))]
[JsonSerializable(typeof(S2AppendInputJson))]
[JsonSerializable(typeof(S2AppendAckJson))]
[JsonSerializable(typeof(S2ReadBatchJson))]
[JsonSerializable(typeof(S2TailJson))]
[JsonSerializable(typeof(S2PingJson))]
public sealed partial class S2JsonContext : JsonSerializerContext;

/// <summary>A basin as listed.</summary>
public sealed class S2BasinInfoJson
{
    /// <summary>Its name.</summary>
    public required string Name { get; init; }

    /// <summary>When it was created (RFC 3339).</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary><c>active</c>: kvdb deletes at once, so nothing is ever <c>deleting</c>.</summary>
    public string State { get; init; } = "active";
}

/// <summary>A page of basins.</summary>
public sealed class S2BasinListJson
{
    /// <summary>The basins, by name.</summary>
    public required IReadOnlyList<S2BasinInfoJson> Basins { get; init; }

    /// <summary>Whether more follow the last.</summary>
    public required bool HasMore { get; init; }
}

/// <summary>S2's retention policy: <c>{"age": secs}</c> or <c>{"infinite": {}}</c>.</summary>
public sealed class S2RetentionPolicyJson
{
    /// <summary>Seconds a record is kept, or null.</summary>
    public long? Age { get; init; }

    /// <summary>Present for infinite retention.</summary>
    public S2EmptyJson? Infinite { get; init; }
}

/// <summary>An empty object.</summary>
public sealed class S2EmptyJson;

/// <summary>How a stream assigns timestamps.</summary>
public sealed class S2TimestampingJson
{
    /// <summary><c>client-prefer</c>, <c>client-require</c> or <c>arrival</c>.</summary>
    public string? Mode { get; init; }

    /// <summary>Whether client timestamps may lie in the future.</summary>
    public bool? Uncapped { get; init; }
}

/// <summary>delete_on_empty.</summary>
public sealed class S2DeleteOnEmptyJson
{
    /// <summary>Minimum age in seconds; 0 is off.</summary>
    public long? MinAgeSecs { get; init; }
}

/// <summary>A stream's configuration (every field optional on input).</summary>
public sealed class S2StreamConfigJson
{
    /// <summary><c>standard</c> or <c>express</c>.</summary>
    public string? StorageClass { get; init; }

    /// <summary>The retention policy.</summary>
    public S2RetentionPolicyJson? RetentionPolicy { get; init; }

    /// <summary>Timestamping.</summary>
    public S2TimestampingJson? Timestamping { get; init; }

    /// <summary>delete_on_empty.</summary>
    public S2DeleteOnEmptyJson? DeleteOnEmpty { get; init; }
}

/// <summary>A basin's configuration.</summary>
public sealed class S2BasinConfigJson
{
    /// <summary>What new streams start with.</summary>
    public S2StreamConfigJson? DefaultStreamConfig { get; init; }

    /// <summary>Whether an append to a missing stream creates it.</summary>
    public bool? CreateStreamOnAppend { get; init; }

    /// <summary>Whether a read of a missing stream creates it.</summary>
    public bool? CreateStreamOnRead { get; init; }
}

/// <summary>POST /v1/basins.</summary>
public sealed class S2CreateBasinJson
{
    /// <summary>The basin's name.</summary>
    public string? Basin { get; init; }

    /// <summary>Its configuration.</summary>
    public S2BasinConfigJson? Config { get; init; }
}

/// <summary>PUT /v1/basins/{basin}.</summary>
public sealed class S2PutBasinJson
{
    /// <summary>Its configuration.</summary>
    public S2BasinConfigJson? Config { get; init; }
}

/// <summary>A stream as listed.</summary>
public sealed class S2StreamInfoJson
{
    /// <summary>Its name.</summary>
    public required string Name { get; init; }

    /// <summary>When it was created (RFC 3339).</summary>
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>A page of streams.</summary>
public sealed class S2StreamListJson
{
    /// <summary>The streams, by name.</summary>
    public required IReadOnlyList<S2StreamInfoJson> Streams { get; init; }

    /// <summary>Whether more follow the last.</summary>
    public required bool HasMore { get; init; }
}

/// <summary>POST /v1/streams.</summary>
public sealed class S2CreateStreamJson
{
    /// <summary>The stream's name.</summary>
    public string? Stream { get; init; }

    /// <summary>Its configuration.</summary>
    public S2StreamConfigJson? Config { get; init; }
}

/// <summary>One record to append; header names, values and the body are text or base64 as <c>s2-format</c> says.</summary>
public sealed class S2AppendRecordJson
{
    /// <summary>The client's timestamp (Unix ms).</summary>
    public long? Timestamp { get; init; }

    /// <summary>Headers as [name, value] pairs.</summary>
    public IReadOnlyList<IReadOnlyList<string>>? Headers { get; init; }

    /// <summary>The body.</summary>
    public string? Body { get; init; }
}

/// <summary>POST /v1/streams/{stream}/records.</summary>
public sealed class S2AppendInputJson
{
    /// <summary>1 to 1,000 records.</summary>
    public IReadOnlyList<S2AppendRecordJson>? Records { get; init; }

    /// <summary>The sequence number the first record must get.</summary>
    public long? MatchSeqNum { get; init; }

    /// <summary>The fencing token the stream must have.</summary>
    public string? FencingToken { get; init; }
}

/// <summary>A position in a stream.</summary>
/// <param name="SeqNum">The sequence number.</param>
/// <param name="Timestamp">The timestamp (Unix ms).</param>
public sealed record S2PositionJson(long SeqNum, long Timestamp);

/// <summary>An append's acknowledgement.</summary>
public sealed class S2AppendAckJson
{
    /// <summary>The first record's position.</summary>
    public required S2PositionJson Start { get; init; }

    /// <summary>One past the last record, with its timestamp.</summary>
    public required S2PositionJson End { get; init; }

    /// <summary>The stream's tail after the append.</summary>
    public required S2PositionJson Tail { get; init; }
}

/// <summary>A stored record.</summary>
public sealed class S2SequencedRecordJson
{
    /// <summary>Its sequence number.</summary>
    public required long SeqNum { get; init; }

    /// <summary>Its timestamp (Unix ms).</summary>
    public required long Timestamp { get; init; }

    /// <summary>Headers as [name, value] pairs; left out when there are none.</summary>
    public IReadOnlyList<IReadOnlyList<string>>? Headers { get; init; }

    /// <summary>The body; left out when empty.</summary>
    public string? Body { get; init; }
}

/// <summary>A batch of records read.</summary>
public sealed class S2ReadBatchJson
{
    /// <summary>The records.</summary>
    public required IReadOnlyList<S2SequencedRecordJson> Records { get; init; }

    /// <summary>The tail, when the batch was read following the stream.</summary>
    public S2PositionJson? Tail { get; init; }
}

/// <summary>A stream's tail.</summary>
public sealed class S2TailJson
{
    /// <summary>The next sequence number and the last timestamp.</summary>
    public required S2PositionJson Tail { get; init; }
}

/// <summary>An SSE ping.</summary>
public sealed class S2PingJson
{
    /// <summary>The member's clock (Unix ms).</summary>
    public required long Timestamp { get; init; }

    /// <summary>The stream's tail.</summary>
    public required S2PositionJson Tail { get; init; }
}
