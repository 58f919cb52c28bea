// GET /v1/kv (a range page) and GET /v1/watch (one event per NDJSON line or SSE data field):
//   {"items": [{"key", "value" | "valueBase64" (or "size" with keysOnly), "typed", "revision", "lease"}], "continuation": "..." | null, "revision": 57}
//   (with ?revision=R the page is the keys as they were right after R, and "revision" is R)
// GET /v1/history/{key} (a key's changes, newest first):
//   {"key", "items": [{"revision", "operation": "put" | "delete", "value" | "valueBase64", "typed", "lease", "timestamp"}],
//    "before": 41 | null, "revision": 57, "compactRevision": 12}
//   {"type": "put", "key", "value" | "valueBase64", "typed", "revision", "prevValue" | "prevValueBase64", "prevTyped", "prevRevision"}
//   {"type": "delete", "key", "revision", ...prev}   {"type": "progress", "revision"}   {"type": "compacted", "compactRevision"}
//   {"type": "error", "title", "status", "detail"}   (the last event when the caller lost access; see ProblemJson)
// Invariants: a value is "value" when its bytes are UTF-8 (a typed value: its JSON text, with
// "typed": true), else "valueBase64"; fields that do not apply are left out, except a page's
// "continuation", which is null on the last page.
using System.Text.Json.Serialization;

namespace KvDb.Contracts;

/// <summary>One key of a range page.</summary>
public sealed record RangeItemJson
{
    /// <summary>The key.</summary>
    public string Key { get; init; } = "";

    /// <summary>The value when it is UTF-8 text (a typed value: its JSON text).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Value { get; init; }

    /// <summary>The value's bytes (base64 on the wire) when they are not UTF-8.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public byte[]? ValueBase64 { get; init; }

    /// <summary>True when <see cref="Value"/> is a typed value's JSON; left out otherwise.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Typed { get; init; }

    /// <summary>The revision of its last write.</summary>
    public long Revision { get; init; }

    /// <summary>The lease the key is attached to; left out when it has none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Lease { get; init; }

    /// <summary>The stored value's size in bytes, with <c>keysOnly=true</c> (which leaves the value out).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Size { get; init; }
}

/// <summary>A page of <c>GET /v1/kv</c>.</summary>
public sealed record RangePageJson
{
    /// <summary>The keys, in unsigned byte order.</summary>
    public List<RangeItemJson> Items { get; init; } = [];

    /// <summary>The token of the next page (<c>continuation=</c>); null on the last page (written as null).</summary>
    public string? Continuation { get; init; }

    /// <summary>The revision the page was read at (watch after it to miss nothing).</summary>
    public long Revision { get; init; }

    /// <summary>With <c>delimiter=</c>: the prefixes its keys were grouped under, with counts.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<RangePrefixJson>? Prefixes { get; init; }

    /// <summary>With <c>contains=</c>, <c>delimiter=</c> or <c>keysOnly=</c>: how many keys the page examined (at most <c>scanLimit</c>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Scanned { get; init; }
}

/// <summary>A group of keys of a <c>delimiter=</c> page: their common prefix and how many there are on this page.</summary>
public sealed record RangePrefixJson
{
    /// <summary>The prefix, through the delimiter.</summary>
    public string Prefix { get; init; } = "";

    /// <summary>How many of the range's keys this page found under it.</summary>
    public long Count { get; init; }
}

/// <summary>One change of <c>GET /v1/history/{key}</c>.</summary>
public sealed record KeyChangeJson
{
    /// <summary>The revision of the entry that made the change.</summary>
    public long Revision { get; init; }

    /// <summary><c>put</c> or <c>delete</c> (<see cref="WatchEventTypes"/>).</summary>
    public string Operation { get; init; } = "";

    /// <summary>The value put, when it is UTF-8 text (a typed value: its JSON text).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Value { get; init; }

    /// <summary>The value put, when it is not UTF-8 (base64 on the wire).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public byte[]? ValueBase64 { get; init; }

    /// <summary>True when <see cref="Value"/> is a typed value's JSON; left out otherwise.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Typed { get; init; }

    /// <summary>The lease a put attached the key to; left out for none, for deletes, and where the member did not record it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Lease { get; init; }

    /// <summary>When the entry was proposed (Unix ms, the leader's clock).</summary>
    public long Timestamp { get; init; }
}

/// <summary>A page of <c>GET /v1/history/{key}</c>: the key's changes, newest first.</summary>
public sealed record KeyHistoryJson
{
    /// <summary>The key.</summary>
    public string Key { get; init; } = "";

    /// <summary>The changes, newest first.</summary>
    public List<KeyChangeJson> Items { get; init; } = [];

    /// <summary>Pass as <c>before=</c> for the next (older) page; null when the history holds no older change (written as null).</summary>
    public long? Before { get; init; }

    /// <summary>The revision the page was read at (a watch after it continues where the page starts).</summary>
    public long Revision { get; init; }

    /// <summary>The newest revision the history has forgotten: changes at or before it are not listed.</summary>
    public long CompactRevision { get; init; }
}

/// <summary>The words of a watch event's <c>"type"</c>.</summary>
public static class WatchEventTypes
{
    /// <summary>A key was written.</summary>
    public const string Put = "put";

    /// <summary>A key was deleted.</summary>
    public const string Delete = "delete";

    /// <summary>Every matching change up to the revision was sent.</summary>
    public const string Progress = "progress";

    /// <summary>The history no longer holds the watch's changes; the stream ends.</summary>
    public const string Compacted = "compacted";

    /// <summary>
    /// The stream ends on a problem (its caller lost access): the event is problem details with
    /// this type. List follows, election observations and the log end the same way.
    /// </summary>
    public const string Error = "error";
}

/// <summary>One event of <c>GET /v1/watch</c>.</summary>
public sealed record WatchEventJson
{
    /// <summary>See <see cref="WatchEventTypes"/>.</summary>
    public string Type { get; init; } = "";

    /// <summary>The key (put and delete).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Key { get; init; }

    /// <summary>The new value when it is UTF-8 text (put).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Value { get; init; }

    /// <summary>The new value in base64 when it is not UTF-8 (put).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public byte[]? ValueBase64 { get; init; }

    /// <summary>True when <see cref="Value"/> is a typed value's JSON.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Typed { get; init; }

    /// <summary>The change's revision, or the progress mark's.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Revision { get; init; }

    /// <summary>The value before the change (prev=true) when it is UTF-8 text.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? PrevValue { get; init; }

    /// <summary>The value before the change in base64 when it is not UTF-8.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public byte[]? PrevValueBase64 { get; init; }

    /// <summary>True when <see cref="PrevValue"/> is a typed value's JSON.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? PrevTyped { get; init; }

    /// <summary>The revision of the value before the change.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? PrevRevision { get; init; }

    /// <summary>The history's compacted revision (compacted).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? CompactRevision { get; init; }
}
