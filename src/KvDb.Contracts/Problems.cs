// Every error kvdb answers is an RFC 7807 problem-details document (application/problem+json),
// written by ASP.NET Core's ProblemDetails: {"type", "title", "status", "detail", "traceId"}
// plus, on some answers, an extension member: currentRevision (412), compactRevision (410),
// outcomeUnknown (503).
// A stream that ends on a problem after it began (its caller lost access) sends it as its last
// event, in the stream's framing, with "type": "error" in place of the type URI:
//   {"type": "error", "title": "Forbidden", "status": 403, "detail": "..."}
using System.Text.Json.Serialization;

namespace KvDb.Contracts;

/// <summary>A problem-details answer as clients read it.</summary>
public sealed record ProblemJson
{
    /// <summary>The problem type URI (ASP.NET Core's per status).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Type { get; init; }

    /// <summary>A short title, the same for every problem of its kind (see <see cref="ProblemTitles"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Title { get; init; }

    /// <summary>The HTTP status.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Status { get; init; }

    /// <summary>What went wrong and what to do.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Detail { get; init; }

    /// <summary>412: the key's revision now.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? CurrentRevision { get; init; }

    /// <summary>410: the history's compacted revision.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? CompactRevision { get; init; }

    /// <summary>503: true when a write may have been applied.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? OutcomeUnknown { get; init; }
}

/// <summary>The titles of the problems that are the same wherever they are answered.</summary>
public static class ProblemTitles
{
    /// <summary>400.</summary>
    public const string BadRequest = "Bad request";

    /// <summary>503: no leader or quorum, or this member cannot serve now.</summary>
    public const string Unavailable = "Cluster unavailable";

    /// <summary>409: a command not every member can apply yet (see docs/operations/upgrades.md).</summary>
    public const string FeatureUnavailable = "Feature not available in this cluster yet";

    /// <summary>507: below the free-space reserve.</summary>
    public const string InsufficientStorage = "Insufficient storage";

    /// <summary>405.</summary>
    public const string MethodNotAllowed = "Method not allowed";

    /// <summary>404 of a lease.</summary>
    public const string LeaseNotFound = "Lease not found";

    /// <summary>413 of a transaction.</summary>
    public const string TransactionTooLarge = "Transaction too large";
}
