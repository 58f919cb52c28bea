// kvdb's JSON documents as the client reads them: range pages (GET /v1/kv), watch lines
// (GET /v1/watch, NDJSON), members and status.
// Invariants: a value is a JSON string holding the stored bytes when they are UTF-8 ("value"),
// else base64 ("valueBase64"); unknown members are ignored, so a newer server's additions do
// not break an older client.
using System.Text;
using System.Text.Json;

namespace KvDb.Client;

/// <summary>Parses kvdb's JSON documents.</summary>
internal static class WireJson
{
    /// <summary>Options for the documents read with the serializer (members, status): camelCase, as kvdb writes them.</summary>
    public static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    /// <summary>A value's bytes from its "value" (UTF-8 text) or "valueBase64" field; empty when it has neither.</summary>
    public static byte[] ValueBytes(string? text, byte[]? bytes)
        => text is not null ? Encoding.UTF8.GetBytes(text) : bytes ?? [];

    /// <summary>Reads one range page.</summary>
    public static KvRangePage ParseRangePage(JsonElement root)
    {
        var items = new List<KvEntry>();
        if (root.TryGetProperty("items", out var list) && list.ValueKind is JsonValueKind.Array)
        {
            foreach (var item in list.EnumerateArray())
            {
                var key = item.GetProperty("key").GetString() ?? "";
                var value = item.TryGetProperty("value", out var text) && text.ValueKind is JsonValueKind.String
                    ? Encoding.UTF8.GetBytes(text.GetString()!)
                    : item.TryGetProperty("valueBase64", out var encoded) && encoded.ValueKind is JsonValueKind.String ? encoded.GetBytesFromBase64() : [];
                items.Add(new KvEntry(key, value, item.GetProperty("revision").GetInt64()));
            }
        }

        var continuation = root.TryGetProperty("continuation", out var next) && next.ValueKind is JsonValueKind.String ? next.GetString() : null;
        var revision = root.TryGetProperty("revision", out var at) && at.ValueKind is JsonValueKind.Number ? at.GetInt64() : 0;
        return new KvRangePage(items, continuation, revision);
    }

    /// <summary>One line of a watch stream.</summary>
    public readonly record struct WatchLine(string Type, string Key, byte[]? Value, long Revision, byte[]? PreviousValue, long? PreviousRevision, long CompactRevision);

    /// <summary>Parses one NDJSON line of a watch stream.</summary>
    /// <exception cref="JsonException">The line is not a JSON object.</exception>
    public static WatchLine ParseWatchLine(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line);
        if (!reader.Read() || reader.TokenType is not JsonTokenType.StartObject)
            throw new JsonException("A watch line is not a JSON object.");

        string type = "", key = "";
        byte[]? value = null, previous = null;
        long revision = 0, compactRevision = 0;
        long? previousRevision = null;
        while (reader.Read() && reader.TokenType is JsonTokenType.PropertyName)
        {
            var name = reader.ValueSpan;
            var escapedName = reader.ValueIsEscaped;
            reader.Read();
            if (escapedName)
            {
                reader.Skip();
                continue;
            }

            if (name.SequenceEqual("type"u8))
                type = reader.GetString() ?? "";
            else if (name.SequenceEqual("key"u8))
                key = reader.GetString() ?? "";
            else if (name.SequenceEqual("value"u8))
                value = Utf8Bytes(ref reader);
            else if (name.SequenceEqual("valueBase64"u8))
                value = reader.GetBytesFromBase64();
            else if (name.SequenceEqual("revision"u8))
                revision = reader.GetInt64();
            else if (name.SequenceEqual("prevValue"u8))
                previous = Utf8Bytes(ref reader);
            else if (name.SequenceEqual("prevValueBase64"u8))
                previous = reader.GetBytesFromBase64();
            else if (name.SequenceEqual("prevRevision"u8))
                previousRevision = reader.GetInt64();
            else if (name.SequenceEqual("compactRevision"u8))
                compactRevision = reader.GetInt64();
            else
                reader.Skip();
        }

        return new WatchLine(type, key, value, revision, previous, previousRevision, compactRevision);
    }

    // A JSON string's UTF-8 bytes, without a detour through UTF-16 when it holds no escapes.
    private static byte[] Utf8Bytes(ref Utf8JsonReader reader)
        => reader.ValueIsEscaped || reader.HasValueSequence ? Encoding.UTF8.GetBytes(reader.GetString()!) : reader.ValueSpan.ToArray();
}
