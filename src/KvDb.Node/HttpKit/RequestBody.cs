// Reads request bodies with a hard size limit, without trusting Content-Length, and checks
// parsed JSON bodies for strings that are not text.
using System.Text.Json;

namespace KvDb.Node.HttpKit;

/// <summary>Bounded reading of request bodies.</summary>
public static class RequestBody
{
    /// <summary>Reads the whole body, or returns null when it is longer than <paramref name="limit"/> bytes.</summary>
    public static async ValueTask<byte[]?> ReadAsync(HttpContext context, int limit)
    {
        if (context.Request.ContentLength is { } declared && declared > limit)
            return null;

        var initial = (int)long.Min(context.Request.ContentLength ?? 4096, limit);
        var buffer = new byte[initial];
        var length = 0;
        var body = context.Request.Body;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (buffer.Length > limit)
                    return null;
                Array.Resize(ref buffer, (int)long.Min((long)buffer.Length * 2 + 1, (long)limit + 1));
            }

            var read = await body.ReadAsync(buffer.AsMemory(length), context.RequestAborted);
            if (read == 0)
                break;
            length += read;
            if (length > limit)
                return null;
        }

        return length == buffer.Length ? buffer : buffer.AsSpan(0, length).ToArray();
    }

    /// <summary>
    /// Whether every string and property name in <paramref name="element"/> is text. JsonDocument
    /// accepts invalid UTF-8 inside strings and unpaired surrogate escapes ("\ud800") and
    /// JsonElement.GetString throws on them, so a handler that reads a JsonDocument checks this
    /// first and answers 400 instead of a 500.
    /// </summary>
    public static bool HasOnlyText(JsonElement element)
    {
        try
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    _ = element.GetString();
                    return true;
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        _ = property.Name;
                        if (!HasOnlyText(property.Value))
                            return false;
                    }

                    return true;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                    {
                        if (!HasOnlyText(item))
                            return false;
                    }

                    return true;
                default:
                    return true;
            }
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
