// One line of the audit log: who did what to which key, and how it ended. This is a file format
// (read with jq, shipped to a SIEM), not a wire contract, so it lives with the feature.
// Invariants:
//  - It holds no value, body, password, token, Authorization header or query value: the query
//    is named by its parameter names only (a ?prefix= is recorded as the prefix it is).
//  - Absent fields are left out, except user, which is null when nobody was authenticated.
//  - Property order is the order of the JSON: time and kind first, for people reading it.
using System.Text.Json.Serialization;

namespace KvDb.Node.Audit;

/// <summary>One audited request.</summary>
public sealed record AuditLine
{
    /// <summary>When the answer was complete (UTC).</summary>
    public required DateTime Time { get; init; }

    /// <summary>What happened: one of <see cref="AuditKinds"/>.</summary>
    public required string Kind { get; init; }

    /// <summary>The id of the member that answered.</summary>
    public required int Member { get; init; }

    /// <summary>The authenticated user; on a failed login the name it claimed; else null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? User { get; init; }

    /// <summary>The client's IP address.</summary>
    public string? Client { get; init; }

    /// <summary>The HTTP method.</summary>
    public required string Method { get; init; }

    /// <summary>The matched endpoint's route pattern (<c>/v1/kv/{**key}</c>), or null when none matched.</summary>
    public string? Route { get; init; }

    /// <summary>The request path, without the query.</summary>
    public required string Path { get; init; }

    /// <summary>The key the route names, when it names one.</summary>
    public string? Key { get; init; }

    /// <summary>The prefix the query names (<c>?prefix=</c>), when it names one.</summary>
    public string? Prefix { get; init; }

    /// <summary>The names of the query's parameters (never their values).</summary>
    public IReadOnlyList<string>? Query { get; init; }

    /// <summary>The HTTP status of the answer (500 when the request failed past every handler).</summary>
    public required int Status { get; init; }

    /// <summary>The revision the answer carried (<c>X-Kvdb-Revision</c>, else <c>X-Kvdb-Index</c>).</summary>
    public long? Revision { get; init; }
}

/// <summary>The kinds of audit line.</summary>
public static class AuditKinds
{
    /// <summary>A state-changing request (any method but GET, HEAD and OPTIONS) that is none of the below, whatever its status.</summary>
    public const string Request = "request";

    /// <summary>A token issued by <c>POST /v1/auth/token</c>.</summary>
    public const string Login = "login";

    /// <summary>A wrong user name or password: Basic credentials refused (401), or the token endpoint's 401.</summary>
    public const string LoginFailed = "login_failed";

    /// <summary>A login refused by the failed-login limit (429) without checking the password.</summary>
    public const string LoginLimited = "login_limited";

    /// <summary>A request without credentials, or with a bad or expired token, refused with 401.</summary>
    public const string Unauthorized = "unauthorized";

    /// <summary>An authenticated user refused with 403 (the root role or a key permission is missing).</summary>
    public const string Forbidden = "forbidden";
}

/// <summary>The source-generated serializer of <see cref="AuditLine"/>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, GenerationMode = JsonSourceGenerationMode.Serialization)]
[JsonSerializable(typeof(AuditLine))]
internal sealed partial class AuditJsonContext : JsonSerializerContext;
