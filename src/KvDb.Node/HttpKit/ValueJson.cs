// How a stored value appears inside JSON documents (range pages, watch events): a string when
// its bytes are valid UTF-8 (a typed value: its JSON text, flagged "typed"), else base64 under
// the name plus "Base64".
using System.Text;
using System.Text.Json;
using KvDb.Core.Commands;
using KvDb.Core.Values;

namespace KvDb.Node.HttpKit;

/// <summary>Writes values into JSON.</summary>
public static class ValueJson
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Writes <paramref name="payload"/> as property <paramref name="name"/> (and its typed flag, <paramref name="typedFlag"/>).</summary>
    public static void Write(Utf8JsonWriter json, string name, string typedFlag, ReadOnlyMemory<byte> payload, ValueKind kind)
    {
        if (kind is ValueKind.Typed)
        {
            json.WriteString(name, TypedValueCodec.Decode(payload).ToString());
            json.WriteBoolean(typedFlag, true);
        }
        else if (IsUtf8(payload.Span))
        {
            json.WriteString(name, payload.Span);
        }
        else
        {
            json.WriteBase64String(name + "Base64", payload.Span);
        }
    }

    /// <summary>
    /// <paramref name="payload"/> as the fields of a contract record: Text (and Typed true for a
    /// typed value) when it is UTF-8, else Base64; the same choice <see cref="Write"/> makes.
    /// </summary>
    public static ValueFields Fields(ReadOnlyMemory<byte> payload, ValueKind kind)
        => kind is ValueKind.Typed ? new(TypedValueCodec.Decode(payload).ToString(), null, true)
            : IsUtf8(payload.Span) ? new(Encoding.UTF8.GetString(payload.Span), null, null)
            : new(null, payload.ToArray(), null);

    private static bool IsUtf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            StrictUtf8.GetCharCount(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}

/// <summary>A value as the JSON fields "value" (with "typed") or "valueBase64".</summary>
/// <param name="Text">The value as text when it is UTF-8 (a typed value: its JSON), else null.</param>
/// <param name="Base64">The bytes (written as base64) when they are not UTF-8, else null.</param>
/// <param name="Typed">True for a typed value, else null (left out).</param>
public readonly record struct ValueFields(string? Text, byte[]? Base64, bool? Typed);
