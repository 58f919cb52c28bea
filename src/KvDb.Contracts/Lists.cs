// Keyspaces and appendable lists:
//   PUT  /v1/keyspaces/{name}              -> 201 {"name"}
//   GET  /v1/keyspaces[/{name}]            -> {"keyspaces": [...]} / {"name", "createdAt", "keys", "items", "bytes"}
//   GET  /v1/keyspaces/{name}/lists/{key}  -> {"keyspace", "key", "firstOffset", "lastOffset", "count", "bytes",
//                                              "lastNonce": "digits" | null, "firstTimestamp", "lastTimestamp"}
//   POST /v1/lists/{keyspace}/{key} {"items": [{"value" | "valueBase64", "nonce", "timestamp"}]} (or NDJSON items)
//                                          -> {"firstOffset", "lastOffset", "appended", "skipped", "revision"}
//   GET  /v1/lists/{keyspace}/{key}        -> {"keyspace", "key", "items": [{"offset", "nonce", "timestamp", "value" | "valueBase64"}],
//                                              "continuation": "f12" | null, "stats": {"returned", "count", "firstOffset", "nextOffset", "bytes"}}
//                                             (?follow=true: one item per NDJSON line)
// Invariants: a nonce is 0 to 2^128 - 1, a JSON number with all its digits (also read from a
// string of digits); an item's "nonce" and a page's "continuation" are written as null when
// absent, an appended item's optional fields are left out.
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace KvDb.Contracts;

/// <summary>The body of an append.</summary>
public sealed record ListAppendRequestJson
{
    /// <summary>The items, 1 to 10,000.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<ListAppendItemJson?>? Items { get; init; }
}

/// <summary>An item to append.</summary>
public sealed record ListAppendItemJson
{
    /// <summary>The value as text.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Value { get; init; }

    /// <summary>The value's bytes (base64 on the wire).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public byte[]? ValueBase64 { get; init; }

    /// <summary>The producer's nonce; an item whose nonce is not above the list's last is skipped.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonConverter(typeof(NonceConverter))]
    public UInt128? Nonce { get; init; }

    /// <summary>The item's time, Unix milliseconds; null for the leader's clock.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Timestamp { get; init; }
}

/// <summary>The answer of an append.</summary>
public sealed record ListAppendedJson
{
    /// <summary>The offset of the first item appended.</summary>
    public long FirstOffset { get; init; }

    /// <summary>The offset of the last item appended.</summary>
    public long LastOffset { get; init; }

    /// <summary>Items stored.</summary>
    public long Appended { get; init; }

    /// <summary>Items skipped as duplicates.</summary>
    public long Skipped { get; init; }

    /// <summary>The revision of the append.</summary>
    public long Revision { get; init; }
}

/// <summary>An item of a list page (or of a follow stream).</summary>
public sealed record ListItemJson
{
    /// <summary>Its offset.</summary>
    public long Offset { get; init; }

    /// <summary>Its nonce; null (written) when it has none.</summary>
    [JsonConverter(typeof(NonceConverter))]
    public UInt128? Nonce { get; init; }

    /// <summary>Its time, Unix milliseconds.</summary>
    public long Timestamp { get; init; }

    /// <summary>The value when it is UTF-8 text.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Value { get; init; }

    /// <summary>The value's bytes (base64 on the wire) when they are not UTF-8.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public byte[]? ValueBase64 { get; init; }
}

/// <summary>A page's counts.</summary>
public sealed record ListStatsJson
{
    /// <summary>Items in the page.</summary>
    public int Returned { get; init; }

    /// <summary>Items in the list.</summary>
    public long Count { get; init; }

    /// <summary>The list's first offset.</summary>
    public long FirstOffset { get; init; }

    /// <summary>The offset the next append gets.</summary>
    public long NextOffset { get; init; }

    /// <summary>Bytes of the list's items.</summary>
    public long Bytes { get; init; }
}

/// <summary>A page of <c>GET /v1/lists/{keyspace}/{key}</c>.</summary>
public sealed record ListPageJson
{
    /// <summary>The keyspace.</summary>
    public string Keyspace { get; init; } = "";

    /// <summary>The list's key.</summary>
    public string Key { get; init; } = "";

    /// <summary>The items, in the page's order.</summary>
    public List<ListItemJson> Items { get; init; } = [];

    /// <summary>The next page's token; null (written) on the last page.</summary>
    public string? Continuation { get; init; }

    /// <summary>The counts.</summary>
    public ListStatsJson Stats { get; init; } = new();
}

/// <summary>A keyspace's metadata.</summary>
public sealed record KeyspaceJson
{
    /// <summary>Its name.</summary>
    public string Name { get; init; } = "";

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Lists in it.</summary>
    public long Keys { get; init; }

    /// <summary>Items in all its lists.</summary>
    public long Items { get; init; }

    /// <summary>Bytes of those items.</summary>
    public long Bytes { get; init; }
}

/// <summary><c>GET /v1/keyspaces</c>.</summary>
public sealed record KeyspaceListJson
{
    /// <summary>Every keyspace.</summary>
    public List<KeyspaceJson> Keyspaces { get; init; } = [];
}

/// <summary>The answer of a keyspace created.</summary>
public sealed record KeyspaceCreatedJson
{
    /// <summary>Its name.</summary>
    public string Name { get; init; } = "";
}

/// <summary><c>GET /v1/keyspaces/{name}/lists</c>: a page of a keyspace's lists.</summary>
public sealed record ListListJson
{
    /// <summary>The keyspace.</summary>
    public string Keyspace { get; init; } = "";

    /// <summary>The lists the caller may read, in key order.</summary>
    public List<ListInfoJson> Lists { get; init; } = [];

    /// <summary>The next page's token; null (written) on the last page.</summary>
    public string? Continuation { get; init; }
}

/// <summary><c>GET /v1/keyspaces/{name}/lists/{key}</c>.</summary>
public sealed record ListInfoJson
{
    /// <summary>The keyspace.</summary>
    public string Keyspace { get; init; } = "";

    /// <summary>The list's key.</summary>
    public string Key { get; init; } = "";

    /// <summary>Its first offset.</summary>
    public long FirstOffset { get; init; }

    /// <summary>Its last offset.</summary>
    public long LastOffset { get; init; }

    /// <summary>Items in it.</summary>
    public long Count { get; init; }

    /// <summary>Bytes of its items.</summary>
    public long Bytes { get; init; }

    /// <summary>Its last nonce as decimal text; null (written) when none.</summary>
    public string? LastNonce { get; init; }

    /// <summary>Its first item's time, Unix milliseconds.</summary>
    public long FirstTimestamp { get; init; }

    /// <summary>Its last item's time, Unix milliseconds.</summary>
    public long LastTimestamp { get; init; }
}

/// <summary>
/// A nonce: a whole number from 0 to 2^128 - 1, written as a JSON number with all its digits and
/// read from such a number or from a string of digits (nothing else: no sign, exponent or spaces).
/// </summary>
public sealed class NonceConverter : JsonConverter<UInt128?>
{
    /// <inheritdoc/>
    public override bool HandleNull => true;

    /// <inheritdoc/>
    public override UInt128? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType is JsonTokenType.Null)
            return null;
        if (reader.TokenType is not (JsonTokenType.Number or JsonTokenType.String))
            throw new JsonException();
        var digits = reader.TokenType is JsonTokenType.String ? reader.GetString()! : Encoding.UTF8.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan.ToArray());
        return digits.Length is > 0 and <= 39 && digits.All(char.IsAsciiDigit) && UInt128.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var nonce)
            ? nonce
            : throw new JsonException();
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, UInt128? value, JsonSerializerOptions options)
    {
        if (value is { } nonce)
            writer.WriteRawValue(nonce.ToString(CultureInfo.InvariantCulture), skipInputValidation: true);
        else
            writer.WriteNullValue();
    }
}
