// Reading and writing this contract's documents with KvDbJsonContext, and the one way a
// document that does not fit is reported.
// Invariants:
//  - Read checks the syntax first, in one pass of Utf8JsonReader with the same limits as the
//    serializer (depth 64, no comments or trailing commas), so "not JSON at all" (NotJson) and
//    "JSON of the wrong shape" are told apart without depending on the serializer's exception
//    types.
//  - A wrong shape is reported by where it is ("then[0].put.lease", the serializer's JSON path
//    without "$.") and what belongs there ("a whole number"), read from the generated
//    metadata, so readers can word it for their users (400 problem details, a CLI usage error).
//  - Nothing but ContractFormatException leaves Read for bad input.
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace KvDb.Contracts;

/// <summary>Reads and writes the documents of kvdb's JSON API.</summary>
public static class ContractJson
{
    /// <summary>Parses <paramref name="utf8"/> as one <typeparamref name="T"/>.</summary>
    /// <exception cref="ContractFormatException">It is not JSON, or not JSON of that shape (a JSON null included).</exception>
    public static T Read<T>(ReadOnlySpan<byte> utf8, JsonTypeInfo<T> type)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(type);
        CheckSyntax(utf8, type.Options);
        T? value;
        try
        {
            value = JsonSerializer.Deserialize(utf8, type);
        }
        catch (JsonException e)
        {
            throw Misfit(e, type);
        }

        return value ?? throw new ContractFormatException("", Describe(type), null);
    }

    /// <inheritdoc cref="Read{T}(ReadOnlySpan{byte}, JsonTypeInfo{T})"/>
    public static T Read<T>(string text, JsonTypeInfo<T> type)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(text);
        return Read(Encoding.UTF8.GetBytes(text), type);
    }

    /// <summary>The UTF-8 JSON of <paramref name="value"/> (default escaping, compact).</summary>
    public static byte[] ToUtf8Bytes<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.SerializeToUtf8Bytes(value, type);

    /// <summary>Writes <paramref name="value"/> to <paramref name="writer"/>, with the writer's own escaping and layout.</summary>
    public static void Write<T>(Utf8JsonWriter writer, T value, JsonTypeInfo<T> type) => JsonSerializer.Serialize(writer, value, type);

    private static void CheckSyntax(ReadOnlySpan<byte> utf8, JsonSerializerOptions options)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions
        {
            MaxDepth = options.MaxDepth == 0 ? 64 : options.MaxDepth,
            CommentHandling = options.ReadCommentHandling,
            AllowTrailingCommas = options.AllowTrailingCommas,
        });
        try
        {
            while (reader.Read())
            {
            }
        }
        catch (JsonException e)
        {
            throw new ContractFormatException(e.Message, e);
        }
    }

    private static ContractFormatException Misfit(JsonException e, JsonTypeInfo root)
    {
        var path = (e.Path ?? "$").TrimStart('$').TrimStart('.');
        return Resolve(root, e.Path ?? "$") is { } expected
            ? new ContractFormatException(path, expected, e)
            : new ContractFormatException(path, null, e);
    }

    // What belongs at the serializer's JSON path ("$.then[0].put.lease"), from the metadata; null when unknown.
    private static string? Resolve(JsonTypeInfo root, string path)
    {
        var info = root;
        var i = 1;
        while (i < path.Length)
        {
            Type? next;
            if (path[i] == '.')
            {
                var end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                next = PropertyType(info, path[(i + 1)..end]);
                i = end;
            }
            else if (path[i] == '[' && i + 1 < path.Length && path[i + 1] == '\'')
            {
                var end = path.IndexOf("']", i + 2, StringComparison.Ordinal);
                if (end < 0)
                    return null;
                next = PropertyType(info, path[(i + 2)..end]);
                i = end + 2;
            }
            else if (path[i] == '[')
            {
                var end = path.IndexOf(']', i);
                if (end < 0 || !int.TryParse(path.AsSpan(i + 1, end - i - 1), NumberStyles.None, CultureInfo.InvariantCulture, out _))
                    return null;
                next = ElementType(info);
                i = end + 1;
            }
            else
            {
                return null;
            }

            if (next is null || TypeInfo(info.Options, next) is not { } inner)
                return null;
            info = inner;
        }

        return Describe(info);
    }

    private static JsonTypeInfo? TypeInfo(JsonSerializerOptions options, Type type)
    {
        try
        {
            return options.GetTypeInfo(type);
        }
        catch (NotSupportedException)
        {
            return null;
        }
    }

    private static Type? PropertyType(JsonTypeInfo info, string name)
        => info.Kind is JsonTypeInfoKind.Object ? info.Properties.FirstOrDefault(p => p.Name == name)?.PropertyType : null;

    private static Type? ElementType(JsonTypeInfo info) => info.Kind switch
    {
        JsonTypeInfoKind.Enumerable when info.Type.IsArray => info.Type.GetElementType(),
        JsonTypeInfoKind.Enumerable when info.Type.IsGenericType => info.Type.GetGenericArguments()[0],
        _ => null,
    };

    private static string Describe(JsonTypeInfo info)
    {
        var type = Nullable.GetUnderlyingType(info.Type) ?? info.Type;
        return type switch
        {
            _ when type == typeof(string) => "a string",
            _ when type == typeof(bool) => "true or false",
            _ when type == typeof(long) || type == typeof(int) || type == typeof(ulong) || type == typeof(uint) || type == typeof(UInt128) => "a whole number",
            _ when type == typeof(double) || type == typeof(float) || type == typeof(decimal) => "a number",
            _ when type == typeof(DateTimeOffset) || type == typeof(DateTime) => "a date and time (ISO 8601)",
            _ when type == typeof(JsonElement) => "a JSON value",
            _ when type == typeof(byte[]) => "base64 text",
            _ => info.Kind switch
            {
                JsonTypeInfoKind.Enumerable => "a list",
                JsonTypeInfoKind.Object or JsonTypeInfoKind.Dictionary => "an object",
                _ => "a valid value",
            },
        };
    }
}

/// <summary>A document that is not JSON, or not JSON of the expected shape.</summary>
public sealed class ContractFormatException : FormatException
{
    /// <summary>Not JSON at all: <paramref name="reason"/> is the parser's.</summary>
    internal ContractFormatException(string reason, JsonException inner)
        : base(reason, inner)
    {
        NotJson = true;
        Path = "";
        Reason = reason;
    }

    /// <summary>JSON whose part at <paramref name="path"/> is not <paramref name="expected"/>.</summary>
    internal ContractFormatException(string path, string? expected, JsonException? inner)
        : base(Compose(path, expected, inner), inner)
    {
        Path = path;
        Expected = expected;
        Reason = Phrase(expected, inner);
    }

    /// <summary>True when the text is not JSON at all (a syntax error, too deep, empty).</summary>
    public bool NotJson { get; }

    /// <summary>Where the misfit is, as a JSON path without "$." (<c>then[0].put.lease</c>); empty for the whole document.</summary>
    public string Path { get; }

    /// <summary>What belongs there (<c>a whole number</c>, <c>a list</c>, <c>an object</c>); null when it cannot be said.</summary>
    public string? Expected { get; }

    /// <summary>What is wrong, without the place: "must be a whole number", "is not base64 text", or the parser's message.</summary>
    public string Reason { get; }

    private static string Compose(string path, string? expected, JsonException? inner)
        => (path.Length == 0 ? "the document" : path) + " " + Phrase(expected, inner);

    private static string Phrase(string? expected, JsonException? inner) => expected switch
    {
        null => inner?.Message ?? "is not valid here",
        "base64 text" => "is not base64 text",
        _ => "must be " + expected,
    };
}
