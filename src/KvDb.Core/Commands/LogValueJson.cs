// Values and write conditions as /v1/log lines show them.
// Invariants: values appear in the S2 typed form ({"UInt": 2}); raw values that are UTF-8 text
// appear as {"Str": ...} and other raw bytes as {"Bytes": "<base64>"}, so every line is JSON.
using System.Text.Json;
using KvDb.Core.Values;

namespace KvDb.Core.Commands;

/// <summary>Writes the parts of log lines that several commands share.</summary>
public static class LogValueJson
{
    /// <summary>Writes a value in the log's typed form.</summary>
    public static void WriteValue(Utf8JsonWriter json, byte[] value, ValueKind kind)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (kind is ValueKind.Typed)
        {
            TypedValueJson.Write(json, TypedValueCodec.Decode(value));
        }
        else if (TypedValue.FromRawBytes(value) is { } text)
        {
            TypedValueJson.Write(json, text);
        }
        else
        {
            json.WriteStartObject();
            json.WriteBase64String("Bytes", value);
            json.WriteEndObject();
        }
    }

    /// <summary>Writes a write's condition and idempotency key, when it has them.</summary>
    public static void WriteWriteOptions(Utf8JsonWriter json, Precondition? condition, string? idempotencyKey)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (condition?.Revision is { } revision)
            json.WriteNumber("ifRevision", revision);
        if (condition?.MustNotExist is true)
            json.WriteBoolean("ifAbsent", true);
        if (condition?.MustExist is true)
            json.WriteBoolean("ifExists", true);
        if (idempotencyKey is not null)
            json.WriteString("idempotencyKey", idempotencyKey);
    }
}
