// How bytes travel in kvdb's JSON ("valueBase64", "prevValueBase64"): standard base64 with
// padding. Registered for every byte[] of KvDbJsonContext.
// Invariants: written with Utf8JsonWriter.WriteBase64StringValue, so no character of the base64
// alphabet is escaped ("+" stays "+", as the hand-written writers had it); read with
// Convert.FromBase64String, as the server always read it (whitespace inside is ignored); text that
// is not base64 is a JsonException, so ContractJson reports it by place.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace KvDb.Contracts;

/// <summary>Reads and writes <c>byte[]</c> as base64 text.</summary>
public sealed class Base64Converter : JsonConverter<byte[]>
{
    /// <inheritdoc/>
    public override byte[]? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType is not JsonTokenType.String)
            throw new JsonException();
        try
        {
            return Convert.FromBase64String(reader.GetString()!);
        }
        catch (FormatException)
        {
            throw new JsonException();
        }
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, byte[] value, JsonSerializerOptions options) => writer.WriteBase64StringValue(value);
}
