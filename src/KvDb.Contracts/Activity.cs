// This member's recent key-value operations:
//   GET /v1/activity?minutes=M -> ActivityJson (per 5-second interval, oldest first)
// Invariant: every field is written, nulls included (a percentile of an interval without
// operations of its kind is null, not 0).
namespace KvDb.Contracts;

/// <summary>The answer of <c>GET /v1/activity</c>: one member's reads and writes over the last minutes.</summary>
public sealed record ActivityJson
{
    /// <summary>The answering member's id.</summary>
    public long Member { get; init; }

    /// <summary>The length of one interval, in seconds.</summary>
    public int IntervalSeconds { get; init; }

    /// <summary>The intervals, oldest first; the last one is still running.</summary>
    public List<ActivityIntervalJson> Intervals { get; init; } = [];
}

/// <summary>One interval of <see cref="ActivityJson"/>.</summary>
public sealed record ActivityIntervalJson
{
    /// <summary>When it began (Unix time, milliseconds).</summary>
    public long Start { get; init; }

    /// <summary>Reads served (GET and HEAD of keys, ranges and a list's items).</summary>
    public long Reads { get; init; }

    /// <summary>Writes served (puts, deletes, transactions, list appends).</summary>
    public long Writes { get; init; }

    /// <summary>The median read latency in milliseconds; null without reads.</summary>
    public double? ReadP50Ms { get; init; }

    /// <summary>The 99th percentile read latency in milliseconds; null without reads.</summary>
    public double? ReadP99Ms { get; init; }

    /// <summary>The median write latency in milliseconds; null without writes.</summary>
    public double? WriteP50Ms { get; init; }

    /// <summary>The 99th percentile write latency in milliseconds; null without writes.</summary>
    public double? WriteP99Ms { get; init; }
}
