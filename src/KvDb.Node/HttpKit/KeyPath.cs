// Extracts the user's key from the request target, exactly as the client encoded it.
// ASP.NET Core leaves "%2F" encoded in Request.Path (so "/a%2Fb" and "/a/b" would differ
// only sometimes); decoding the raw target ourselves makes the rule simple: the key is the
// percent-decoded path after the first "/", and it must be valid UTF-8.
using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace KvDb.Node.HttpKit;

/// <summary>Decodes and validates keys taken from request paths.</summary>
public static class KeyPath
{
    /// <summary>The longest key accepted, in UTF-8 bytes.</summary>
    public const int MaxKeyBytes = 4096;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Decodes the key after <paramref name="prefix"/> in the raw request target.</summary>
    /// <returns>The key's UTF-8 bytes and text, or an error message fit for a 400 response.</returns>
    public static (byte[]? Key, string? Text, string? Error) FromRequest(HttpContext context, string prefix = "/")
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var path = raw is { Length: > 0 } && raw[0] == '/' ? raw : context.Request.Path.Value ?? "/";
        if (path.IndexOf('?') is var query and >= 0)
            path = path[..query];

        if (!path.StartsWith(prefix, StringComparison.Ordinal))
            return (null, null, $"The path must start with '{prefix}'.");
        var decoded = Decode(path.AsSpan(prefix.Length));
        return decoded.Text is { } text && NormalisesAway(text)
            ? (null, null, "This key is only '.' and '..' path segments (like '.' or 'a/..'): HTTP removes those from paths, so the key could not be read back at its address. Use another name, or the S2 API's ?key=.")
            : decoded;
    }

    // Whether removing dot segments (RFC 3986 5.2.4, as URL normalisation does) leaves nothing
    // of the key: its path would then address the collection, not the key.
    private static bool NormalisesAway(string key)
    {
        var depth = 0;
        foreach (var segment in key.Split('/'))
        {
            if (segment == "..")
                depth = Math.Max(0, depth - 1);
            else if (segment is not ("." or ""))
                depth++;
        }

        return depth == 0;
    }

    /// <summary>Percent-decodes <paramref name="encoded"/> and checks it is a valid key.</summary>
    public static (byte[]? Key, string? Text, string? Error) Decode(ReadOnlySpan<char> encoded)
    {
        if (encoded.IsEmpty)
            return (null, null, "The key is empty: put it in the path, as in /my-key.");

        var bytes = new byte[Encoding.UTF8.GetMaxByteCount(encoded.Length)];
        var length = 0;
        for (var i = 0; i < encoded.Length; i++)
        {
            var c = encoded[i];
            if (c == '%')
            {
                if (i + 2 >= encoded.Length || !IsHex(encoded[i + 1]) || !IsHex(encoded[i + 2]))
                    return (null, null, $"The key has an invalid percent-escape at position {i}: '%' must be followed by two hex digits.");
                bytes[length++] = (byte)((HexValue(encoded[i + 1]) << 4) | HexValue(encoded[i + 2]));
                i += 2;
            }
            else
            {
                length += Encoding.UTF8.GetBytes(encoded.Slice(i, char.IsHighSurrogate(c) && i + 1 < encoded.Length ? 2 : 1), bytes.AsSpan(length));
                if (char.IsHighSurrogate(c))
                    i++;
            }

            if (length > MaxKeyBytes)
                return (null, null, $"The key is longer than {MaxKeyBytes} bytes of UTF-8.");
        }

        var key = bytes.AsSpan(0, length).ToArray();
        try
        {
            return (key, StrictUtf8.GetString(key), null);
        }
        catch (DecoderFallbackException)
        {
            return (null, null, "The key is not valid UTF-8 after percent-decoding.");
        }
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
