// Locks (/v1/locks) and elections (/v1/elections):
//   POST /v1/locks/{name}                      -> {"name", "key", "revision", "lease"}
//   GET  /v1/locks/{name}                      -> {"name", "holder": {"key", "revision", "lease"} | null, "waiting": [keys]}
//   POST /v1/elections/{name}/campaign {"value", "lease" | "ttl"} -> {"name", "key", "value", "revision", "lease"}
//   GET  /v1/elections/{name}                  -> {"key", "value", "revision", "lease"}
//   GET  /v1/elections/{name}/observe          -> NDJSON: a leader, {"leader": null}, or {"type": "progress", "revision"}
//   PUT  /v1/elections/{name}/proclaim {"key", "revision", "value"} -> {"name", "key", "value", "revision", "modRevision"}
//   POST /v1/elections/{name}/resign {"key"}
// Invariant: a lock's holder is written as null when nobody holds it.
using System.Text.Json.Serialization;

namespace KvDb.Contracts;

/// <summary>A lock acquired: its key (the fencing token's owner) and create revision.</summary>
public sealed record LockHeldJson
{
    /// <summary>The lock's name.</summary>
    public string Name { get; init; } = "";

    /// <summary>The holder's key.</summary>
    public string Key { get; init; } = "";

    /// <summary>The key's create revision: the fencing token.</summary>
    public long Revision { get; init; }

    /// <summary>The lease the key is attached to.</summary>
    public long Lease { get; init; }
}

/// <summary>The holder of a lock in <c>GET /v1/locks/{name}</c>.</summary>
public sealed record LockHolderJson
{
    /// <summary>The holder's key.</summary>
    public string Key { get; init; } = "";

    /// <summary>Its create revision.</summary>
    public long Revision { get; init; }

    /// <summary>Its lease.</summary>
    public long Lease { get; init; }
}

/// <summary><c>GET /v1/locks/{name}</c>.</summary>
public sealed record LockInfoJson
{
    /// <summary>The lock's name.</summary>
    public string Name { get; init; } = "";

    /// <summary>Who holds it; null (written) when nobody does.</summary>
    public LockHolderJson? Holder { get; init; }

    /// <summary>The keys waiting, in order.</summary>
    public List<string> Waiting { get; init; } = [];
}

/// <summary>The body of a campaign.</summary>
public sealed record CampaignRequestJson
{
    /// <summary>The candidate's value.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Value { get; init; }

    /// <summary>The candidate's lease; null for one kvdb grants.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Lease { get; init; }

    /// <summary>The TTL of the lease kvdb grants (default 10s).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Ttl { get; init; }
}

/// <summary>A campaign won.</summary>
public sealed record ElectedJson
{
    /// <summary>The election's name.</summary>
    public string Name { get; init; } = "";

    /// <summary>The leader's key.</summary>
    public string Key { get; init; } = "";

    /// <summary>The leader's value.</summary>
    public string Value { get; init; } = "";

    /// <summary>The key's create revision.</summary>
    public long Revision { get; init; }

    /// <summary>Its lease.</summary>
    public long Lease { get; init; }
}

/// <summary>An election's leader (<c>GET /v1/elections/{name}</c>, and observe lines).</summary>
public sealed record ElectionLeaderJson
{
    /// <summary>The leader's key.</summary>
    public string Key { get; init; } = "";

    /// <summary>Its value.</summary>
    public string Value { get; init; } = "";

    /// <summary>Its create revision.</summary>
    public long Revision { get; init; }

    /// <summary>Its lease.</summary>
    public long Lease { get; init; }
}

/// <summary>
/// One line of <c>GET /v1/elections/{name}/observe</c> as a reader takes it: a leader (Key set),
/// <c>{"leader": null}</c> (nothing set), or a progress mark (Type set).
/// </summary>
public sealed record ElectionObservationJson
{
    /// <summary><c>progress</c> for a progress mark; null for a leader line.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Type { get; init; }

    /// <summary>The leader's key; null while there is no leader.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Key { get; init; }

    /// <summary>The leader's value.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Value { get; init; }

    /// <summary>The leader's create revision, or the progress mark's revision.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Revision { get; init; }

    /// <summary>The leader's lease.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Lease { get; init; }
}

/// <summary><c>{"leader": null}</c>: the observe line while an election has no leader.</summary>
public sealed record NoLeaderJson
{
    /// <summary>Always null (written).</summary>
    public ElectionLeaderJson? Leader { get; init; }
}

/// <summary>The body of a proclamation.</summary>
public sealed record ProclaimRequestJson
{
    /// <summary>The leader's key.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Key { get; init; }

    /// <summary>Its create revision, as the campaign answered.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Revision { get; init; }

    /// <summary>The new value.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Value { get; init; }
}

/// <summary>A proclamation made.</summary>
public sealed record ProclaimedJson
{
    /// <summary>The election's name.</summary>
    public string Name { get; init; } = "";

    /// <summary>The leader's key.</summary>
    public string Key { get; init; } = "";

    /// <summary>The new value.</summary>
    public string Value { get; init; } = "";

    /// <summary>The key's create revision.</summary>
    public long Revision { get; init; }

    /// <summary>The revision of the write.</summary>
    public long ModRevision { get; init; }
}

/// <summary>The body of a resignation.</summary>
public sealed record ResignRequestJson
{
    /// <summary>The key the campaign answered.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Key { get; init; }
}
