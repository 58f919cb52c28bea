// /v1/leases:
//   POST /v1/leases {"ttl": "10s" | 10}  ->  201 {"id", "ttl", "ttlSeconds", "revision"}
//   POST /v1/leases/{id}/keepalive       ->  {"id", "ttlSeconds", "remainingSeconds"}
//   GET  /v1/leases/{id}                 ->  {"id", "ttlSeconds", "remainingSeconds" | null, "keys", "owner"?}
//   GET  /v1/leases                      ->  {"count", "leases": [{"id", "ttlSeconds", "owner"?}]}
// and, between members, the leader's clock: {"ttlMs", "remainingMs"}.
// Invariants: remainingSeconds of a described lease is written as null when no leader could say;
// owner (the user who granted the lease) is left out for a lease granted with auth off.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace KvDb.Contracts;

/// <summary>The body of <c>POST /v1/leases</c>.</summary>
public sealed record LeaseGrantRequestJson
{
    /// <summary>The TTL: a duration like <c>"10s"</c>, or a number of seconds.</summary>
    [JsonConverter(typeof(TextOrNumberConverter))]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Ttl { get; init; }
}

/// <summary>The answer of a grant.</summary>
public sealed record LeaseGrantedJson
{
    /// <summary>The lease's id.</summary>
    public long Id { get; init; }

    /// <summary>Its TTL as a duration (<c>10s</c>).</summary>
    public string Ttl { get; init; } = "";

    /// <summary>Its TTL in seconds.</summary>
    public double TtlSeconds { get; init; }

    /// <summary>The revision of the grant.</summary>
    public long Revision { get; init; }
}

/// <summary>The answer of a keep-alive: the time a lease has left.</summary>
public sealed record LeaseTimeJson
{
    /// <summary>The lease's id.</summary>
    public long Id { get; init; }

    /// <summary>Its TTL in seconds.</summary>
    public double TtlSeconds { get; init; }

    /// <summary>Seconds left by the leader's clock.</summary>
    public double RemainingSeconds { get; init; }
}

/// <summary><c>GET /v1/leases/{id}</c>.</summary>
public sealed record LeaseInfoJson
{
    /// <summary>The lease's id.</summary>
    public long Id { get; init; }

    /// <summary>Its TTL in seconds.</summary>
    public double TtlSeconds { get; init; }

    /// <summary>Seconds left by the leader's clock; null (written) when no leader could say.</summary>
    public double? RemainingSeconds { get; init; }

    /// <summary>The keys attached to it (with auth on, those the caller may read).</summary>
    public List<string> Keys { get; init; } = [];

    /// <summary>The user who granted it; null (left out) when it was granted with auth off.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Owner { get; init; }
}

/// <summary>One lease of <c>GET /v1/leases</c>.</summary>
public sealed record LeaseSummaryJson
{
    /// <summary>The lease's id.</summary>
    public long Id { get; init; }

    /// <summary>Its TTL in seconds.</summary>
    public double TtlSeconds { get; init; }

    /// <summary>The user who granted it; null (left out) when it was granted with auth off.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Owner { get; init; }
}

/// <summary><c>GET /v1/leases</c>.</summary>
public sealed record LeaseListJson
{
    /// <summary>How many leases are listed: alive, and the caller's (root: all).</summary>
    public int Count { get; init; }

    /// <summary>The leases, by id.</summary>
    public List<LeaseSummaryJson> Leases { get; init; } = [];
}

/// <summary>A lease's clock as the leader answers another member.</summary>
public sealed record LeaseClockJson
{
    /// <summary>The TTL in milliseconds.</summary>
    public long TtlMs { get; init; }

    /// <summary>Milliseconds left.</summary>
    public long RemainingMs { get; init; }
}

/// <summary>
/// Reads a string, or a number as its JSON text (<c>10</c> reads as <c>"10"</c>); writes a string.
/// For fields that take either, like a TTL.
/// </summary>
public sealed class TextOrNumberConverter : JsonConverter<string>
{
    /// <inheritdoc/>
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan.ToArray()),
        _ => throw new JsonException("Expected a string or a number."),
    };

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
