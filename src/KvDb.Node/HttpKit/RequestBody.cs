// Reads request bodies with a hard size limit, without trusting Content-Length.
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
}
