// POST /v1/txn, request and answer:
//   {"if":   [{"key": K | "prefix": P | "start": S, "end": E,
//              "target": "revision|createRevision|version|value|exists|count", "op": "==|!=|<|>", "value": V}],
//    "then": [{"put": {"key", "value" | "valueBase64" | "typed", "lease"}}, {"delete": {"key" | "prefix" | "start", "end"}},
//             {"get": {"key"}}, {"range": {"prefix" | "start", "end", "limit"}}],
//    "else": [...]}
//   {"succeeded": true, "revision": 57, "results": [{"put": {"revision": 57}},
//    {"delete": {"revision": 57, "deleted": 1}}, {"get": {"key", "value", "revision",
//    "createRevision", "version"}} or {"get": null}, {"range": {"items": [...], "more": false}}]}
// Invariants:
//  - These records only carry the JSON: every field a sender may leave out is nullable and left
//    out when null, so what the client writes is exactly what it wrote by hand before. Whether a
//    transaction makes sense (one operation per object, keys not empty, a known target) is for
//    the reader to judge: the server into its TxnCommand, the CLI into the client's builder.
//  - A comparison's "value" is a number, a string or true/false depending on its target, and a
//    put's "typed" any typed value's JSON: both stay JsonElement.
//  - Names a reader does not know land in Unknown (the request and each operation), so it can
//    say which field or operation it refuses.
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace KvDb.Contracts;

/// <summary>The body of <c>POST /v1/txn</c>.</summary>
public sealed record TxnRequestJson
{
    /// <summary>The comparisons; all must hold for <see cref="Then"/> to run.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<TxnCompareJson?>? If { get; init; }

    /// <summary>The operations run when every comparison holds.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<TxnOpJson?>? Then { get; init; }

    /// <summary>The operations run when a comparison does not hold.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<TxnOpJson?>? Else { get; init; }

    /// <summary>Members other than if, then and else (a reader refuses them).</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

/// <summary>The words of a comparison's <c>"target"</c>.</summary>
public static class TxnTargetNames
{
    /// <summary>The revision of the key's last write.</summary>
    public const string Revision = "revision";

    /// <summary>etcd's name for <see cref="Revision"/>, also accepted.</summary>
    public const string ModRevision = "modRevision";

    /// <summary>The revision that created the key.</summary>
    public const string CreateRevision = "createRevision";

    /// <summary>The writes since the key was created.</summary>
    public const string Version = "version";

    /// <summary>The value, as text.</summary>
    public const string Value = "value";

    /// <summary>Whether the key exists (true or false).</summary>
    public const string Exists = "exists";

    /// <summary>How many keys a range holds (range comparisons only).</summary>
    public const string Count = "count";
}

/// <summary>The words of a comparison's <c>"op"</c>.</summary>
public static class TxnOperatorNames
{
    /// <summary>Equal.</summary>
    public const string Equal = "==";

    /// <summary>Also equal.</summary>
    public const string EqualAlias = "=";

    /// <summary>Not equal.</summary>
    public const string NotEqual = "!=";

    /// <summary>Less than.</summary>
    public const string Less = "<";

    /// <summary>Greater than.</summary>
    public const string Greater = ">";
}

/// <summary>
/// One comparison of <c>"if"</c>: <c>{"key", "target", "op", "value"}</c> on one key, or on every
/// key of a range: <c>{"prefix", ...}</c> or <c>{"start", "end", ...}</c> (never with "key", so a
/// server that does not know ranges refuses the comparison instead of comparing one key).
/// </summary>
public sealed record TxnCompareJson
{
    /// <summary>The key compared.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Key { get; init; }

    /// <summary>Compare every key starting with it (instead of <see cref="Key"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Prefix { get; init; }

    /// <summary>Compare every key from it (instead of <see cref="Key"/>) up to <see cref="End"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Start { get; init; }

    /// <summary>The exclusive end of the range from <see cref="Start"/>; null for the last key.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? End { get; init; }

    /// <summary>What is compared; see <see cref="TxnTargetNames"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Target { get; init; }

    /// <summary>How; see <see cref="TxnOperatorNames"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Op { get; init; }

    /// <summary>A whole number (revisions, version), a string (value) or true/false (exists).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Value { get; init; }

    /// <summary>A comparison with a number (revision, createRevision, version).</summary>
    public static TxnCompareJson Number(string key, string target, string op, long value)
        => new() { Key = key, Target = target, Op = op, Value = JsonSerializer.SerializeToElement(value, KvDbJsonContext.Default.Int64) };

    /// <summary>A comparison with text (value).</summary>
    public static TxnCompareJson Text(string key, string target, string op, string value)
        => new() { Key = key, Target = target, Op = op, Value = JsonSerializer.SerializeToElement(value, KvDbJsonContext.Default.String) };

    /// <summary>A comparison with true or false (exists).</summary>
    public static TxnCompareJson Flag(string key, string target, string op, bool value)
        => new() { Key = key, Target = target, Op = op, Value = JsonSerializer.SerializeToElement(value, KvDbJsonContext.Default.Boolean) };

    /// <summary>Members this contract does not know, e.g. etcd's "rangeEnd" (a reader refuses them rather than compare one key).</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

/// <summary>One operation of <c>"then"</c> or <c>"else"</c>: an object with exactly one of put, delete, get and range.</summary>
public sealed record TxnOpJson
{
    /// <summary>A put.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public TxnPutJson? Put { get; init; }

    /// <summary>A delete of a key, a prefix or a range.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public TxnDeleteJson? Delete { get; init; }

    /// <summary>A get.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public TxnGetJson? Get { get; init; }

    /// <summary>A range read.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public TxnRangeJson? Range { get; init; }

    /// <summary>Operations this contract does not know (a reader refuses them).</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }

    /// <summary>How many operations the object names (a valid one names exactly one).</summary>
    [JsonIgnore]
    public int Count => (Put is null ? 0 : 1) + (Delete is null ? 0 : 1) + (Get is null ? 0 : 1) + (Range is null ? 0 : 1) + (Unknown?.Count ?? 0);
}

/// <summary><c>{"put": {"key", "value" | "valueBase64" | "typed", "lease"}}</c>.</summary>
public sealed record TxnPutJson
{
    /// <summary>The key.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Key { get; init; }

    /// <summary>The value as text.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Value { get; init; }

    /// <summary>The value's bytes (base64 on the wire).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public byte[]? ValueBase64 { get; init; }

    /// <summary>A typed value's JSON, e.g. <c>{"Int": 3}</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Typed { get; init; }

    /// <summary>The lease to attach the key to.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Lease { get; init; }
}

/// <summary><c>{"delete": {"key" | "prefix" | "start", "end"}}</c>.</summary>
public sealed record TxnDeleteJson
{
    /// <summary>The one key to delete.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Key { get; init; }

    /// <summary>Delete every key starting with it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Prefix { get; init; }

    /// <summary>The first key of the range deleted.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Start { get; init; }

    /// <summary>The range's exclusive end; null for the last key.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? End { get; init; }
}

/// <summary><c>{"get": {"key"}}</c>.</summary>
public sealed record TxnGetJson
{
    /// <summary>The key.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Key { get; init; }
}

/// <summary><c>{"range": {"prefix" | "start", "end", "limit"}}</c>.</summary>
public sealed record TxnRangeJson
{
    /// <summary>Read the keys starting with it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Prefix { get; init; }

    /// <summary>The first key of the range.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Start { get; init; }

    /// <summary>The range's exclusive end; null for the last key.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? End { get; init; }

    /// <summary>The most keys (server default 100).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Limit { get; init; }
}

/// <summary>The answer of <c>POST /v1/txn</c>.</summary>
public sealed record TxnResponseJson
{
    /// <summary>True when every comparison held (then ran), false when else ran.</summary>
    public bool Succeeded { get; init; }

    /// <summary>The transaction's revision.</summary>
    public long Revision { get; init; }

    /// <summary>One result per operation of the branch that ran.</summary>
    public List<TxnResultJson> Results { get; init; } = [];
}

/// <summary>
/// One result: <c>{"put": {...}}</c>, <c>{"delete": {...}}</c>, <c>{"get": {...} | null}</c> or
/// <c>{"range": {...}}</c>. <see cref="Kind"/> names it; the matching property holds its body.
/// </summary>
[JsonConverter(typeof(TxnResultJsonConverter))]
public sealed record TxnResultJson
{
    /// <summary>The result's name: put, delete, get, range, or what a newer server sends.</summary>
    public string Kind { get; init; } = "";

    /// <summary>A put's result.</summary>
    public TxnPutResultJson? Put { get; init; }

    /// <summary>A delete's result.</summary>
    public TxnDeleteResultJson? Delete { get; init; }

    /// <summary>A get's key; null when it does not exist.</summary>
    public TxnItemJson? Get { get; init; }

    /// <summary>A range's keys.</summary>
    public TxnRangeResultJson? Range { get; init; }

    /// <summary>A put's result.</summary>
    public static TxnResultJson OfPut(long revision) => new() { Kind = "put", Put = new() { Revision = revision } };

    /// <summary>A delete's result.</summary>
    public static TxnResultJson OfDelete(long revision, long deleted) => new() { Kind = "delete", Delete = new() { Revision = revision, Deleted = deleted } };

    /// <summary>A get's result (<paramref name="item"/> null: the key does not exist).</summary>
    public static TxnResultJson OfGet(TxnItemJson? item) => new() { Kind = "get", Get = item };

    /// <summary>A range's result.</summary>
    public static TxnResultJson OfRange(List<TxnItemJson> items, bool more) => new() { Kind = "range", Range = new() { Items = items, More = more } };
}

/// <summary><c>{"revision"}</c> of a put.</summary>
public sealed record TxnPutResultJson
{
    /// <summary>The key's new revision (the transaction's).</summary>
    public long Revision { get; init; }
}

/// <summary><c>{"revision", "deleted"}</c> of a delete.</summary>
public sealed record TxnDeleteResultJson
{
    /// <summary>The revision of the deletion.</summary>
    public long Revision { get; init; }

    /// <summary>How many keys went.</summary>
    public long Deleted { get; init; }
}

/// <summary><c>{"items", "more"}</c> of a range.</summary>
public sealed record TxnRangeResultJson
{
    /// <summary>The keys, in key order.</summary>
    public List<TxnItemJson> Items { get; init; } = [];

    /// <summary>True when keys beyond the limit exist.</summary>
    public bool More { get; init; }
}

/// <summary>A key as a transaction's get or range reads it.</summary>
public sealed record TxnItemJson
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

    /// <summary>The revision that created it.</summary>
    public long CreateRevision { get; init; }

    /// <summary>The writes since it was created.</summary>
    public long Version { get; init; }
}

/// <summary>
/// Reads and writes a <see cref="TxnResultJson"/> as the one-member object it is on the wire:
/// only this envelope is done here; each body goes through the generated metadata.
/// </summary>
/// <remarks>
/// A converter because <c>{"get": null}</c> (a missing key) must be written while the other
/// kinds' absent bodies must not, which no ignore condition expresses.
/// </remarks>
public sealed class TxnResultJsonConverter : JsonConverter<TxnResultJson>
{
    /// <inheritdoc/>
    public override TxnResultJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType is not JsonTokenType.StartObject)
            throw new JsonException("A transaction result is an object with one of put, delete, get or range.");
        TxnResultJson? result = null;
        while (reader.Read() && reader.TokenType is JsonTokenType.PropertyName)
        {
            var name = reader.GetString() ?? "";
            reader.Read();
            if (result is not null)
            {
                reader.Skip();
                continue;
            }

            result = name switch
            {
                "put" => new() { Kind = name, Put = Body<TxnPutResultJson>(ref reader, options) },
                "delete" => new() { Kind = name, Delete = Body<TxnDeleteResultJson>(ref reader, options) },
                "get" => new() { Kind = name, Get = Body<TxnItemJson>(ref reader, options) },
                "range" => new() { Kind = name, Range = Body<TxnRangeResultJson>(ref reader, options) },
                _ => Skipped(ref reader, name),
            };
        }

        return result ?? throw new JsonException("A transaction result names no operation.");
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, TxnResultJson value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WritePropertyName(value.Kind);
        switch (value.Kind)
        {
            case "put":
                WriteBody(writer, value.Put, options);
                break;
            case "delete":
                WriteBody(writer, value.Delete, options);
                break;
            case "get":
                WriteBody(writer, value.Get, options);
                break;
            case "range":
                WriteBody(writer, value.Range, options);
                break;
            default:
                writer.WriteNullValue();
                break;
        }

        writer.WriteEndObject();
    }

    private static T? Body<T>(ref Utf8JsonReader reader, JsonSerializerOptions options)
        where T : class
        => reader.TokenType is JsonTokenType.Null ? null : JsonSerializer.Deserialize(ref reader, Info<T>(options));

    private static void WriteBody<T>(Utf8JsonWriter writer, T? body, JsonSerializerOptions options)
        where T : class
    {
        if (body is null)
            writer.WriteNullValue();
        else
            JsonSerializer.Serialize(writer, body, Info<T>(options));
    }

    private static TxnResultJson Skipped(ref Utf8JsonReader reader, string name)
    {
        reader.Skip();
        return new() { Kind = name };
    }

    private static JsonTypeInfo<T> Info<T>(JsonSerializerOptions options)
        => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
}
