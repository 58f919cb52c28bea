// S2's basin and stream configurations as kvdb stores them. A stream's configuration is resolved
// (request, then the basin's default, then the system default) and frozen when it is created,
// as S2 does; every field here is therefore set.
// Invariants: plain data, serialized with MessagePack inside log entries and stored records;
// keys are never reused.
using MessagePack;

namespace KvDb.Core.Streams;

/// <summary>How a stream assigns timestamps.</summary>
public static class TimestampingModes
{
    /// <summary>The client's timestamp if it gave one, else the arrival time.</summary>
    public const string ClientPrefer = "client-prefer";

    /// <summary>The client must give a timestamp.</summary>
    public const string ClientRequire = "client-require";

    /// <summary>Always the arrival time (the leader's clock in the log entry).</summary>
    public const string Arrival = "arrival";

    /// <summary>Whether <paramref name="mode"/> is one of the modes.</summary>
    public static bool IsKnown(string? mode) => mode is ClientPrefer or ClientRequire or Arrival;
}

/// <summary>A stream's configuration.</summary>
[MessagePackObject]
public sealed class StreamConfig
{
    /// <summary>The system default: express storage, 7 days' retention, client-preferred capped timestamps.</summary>
    public static readonly StreamConfig Default = new();

    /// <summary><c>standard</c> or <c>express</c> (reported; kvdb stores both alike).</summary>
    [Key(0)]
    public string StorageClass { get; init; } = "express";

    /// <summary>Retention age in seconds, or null for infinite (the leader trims older records through the log).</summary>
    [Key(1)]
    public long? RetentionAgeSecs { get; init; } = 7 * 24 * 3600;

    /// <summary>One of <see cref="TimestampingModes"/>.</summary>
    [Key(2)]
    public string TimestampingMode { get; init; } = TimestampingModes.ClientPrefer;

    /// <summary>Whether client timestamps may lie in the future.</summary>
    [Key(3)]
    public bool Uncapped { get; init; }

    /// <summary>delete_on_empty's minimum age in seconds, 0 for off (the leader deletes such a stream once empty and idle that long).</summary>
    [Key(4)]
    public long DeleteOnEmptyMinAgeSecs { get; init; }

    /// <summary>Whether two configurations say the same.</summary>
    public bool SameAs(StreamConfig other)
        => StorageClass == other.StorageClass && RetentionAgeSecs == other.RetentionAgeSecs && TimestampingMode == other.TimestampingMode
            && Uncapped == other.Uncapped && DeleteOnEmptyMinAgeSecs == other.DeleteOnEmptyMinAgeSecs;
}

/// <summary>A basin's configuration.</summary>
[MessagePackObject]
public sealed class BasinConfig
{
    /// <summary>The system default.</summary>
    public static readonly BasinConfig Default = new();

    /// <summary>What streams created in the basin start with.</summary>
    [Key(0)]
    public StreamConfig DefaultStreamConfig { get; init; } = StreamConfig.Default;

    /// <summary>Whether an append to a missing stream creates it.</summary>
    [Key(1)]
    public bool CreateStreamOnAppend { get; init; }

    /// <summary>Whether a read of a missing stream creates it.</summary>
    [Key(2)]
    public bool CreateStreamOnRead { get; init; }

    /// <summary>Whether two configurations say the same.</summary>
    public bool SameAs(BasinConfig other)
        => DefaultStreamConfig.SameAs(other.DefaultStreamConfig) && CreateStreamOnAppend == other.CreateStreamOnAppend && CreateStreamOnRead == other.CreateStreamOnRead;
}

/// <summary>A basin's stored record (beside its keyspace's).</summary>
[MessagePackObject]
public sealed class BasinRecord
{
    /// <summary>The configuration.</summary>
    [Key(0)]
    public required BasinConfig Config { get; init; }

    /// <summary>The request token it was created with, or null.</summary>
    [Key(1)]
    public string? RequestToken { get; init; }
}

/// <summary>A stream's stored record (beside its list's metadata).</summary>
[MessagePackObject]
public sealed class StreamRecord
{
    /// <summary>When it was created (the leader's clock, Unix ms).</summary>
    [Key(0)]
    public long CreatedAtMs { get; init; }

    /// <summary>The configuration.</summary>
    [Key(1)]
    public required StreamConfig Config { get; init; }

    /// <summary>The fencing token appends must match when they give one (empty: none set).</summary>
    [Key(2)]
    public string FencingToken { get; init; } = "";

    /// <summary>The request token it was created with, or null.</summary>
    [Key(3)]
    public string? RequestToken { get; init; }
}
