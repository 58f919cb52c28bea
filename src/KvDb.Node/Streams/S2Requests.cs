// Reading S2 request pieces: JSON bodies, the request token, list paging, stream names from the
// raw request target (a stream name may hold '/', which clients send as %2F).
using System.Globalization;
using System.Text.Json.Serialization.Metadata;
using KvDb.Contracts;
using KvDb.Node.HttpKit;
using Microsoft.AspNetCore.Http.Features;

namespace KvDb.Node.Streams;

/// <summary>A page request of a basin or stream listing.</summary>
/// <param name="Prefix">Names start with it.</param>
/// <param name="StartAfter">Names come after it.</param>
/// <param name="Limit">The most names, 1 to 1,000.</param>
public sealed record S2ListRequest(string Prefix, string StartAfter, int Limit)
{
    /// <summary>Whether <paramref name="name"/> belongs on the page's range.</summary>
    public bool Admits(string name) => name.StartsWith(Prefix, StringComparison.Ordinal) && string.CompareOrdinal(name, StartAfter) > 0;
}

/// <summary>Parses S2 requests.</summary>
public static class S2Requests
{
    /// <summary>The largest JSON body of a basin or stream request.</summary>
    public const int MaxConfigBytes = 64 << 10;

    /// <summary>Reads a JSON body; an empty one is <paramref name="empty"/> when given, else an error.</summary>
    public static async Task<(T? Value, S2Error? Error)> JsonAsync<T>(HttpContext context, JsonTypeInfo<T> type, int limit, T? empty = null)
        where T : class
    {
        var body = await RequestBody.ReadAsync(context, limit);
        if (body is null)
            return (null, new S2Error(413, "invalid", $"the body is over {limit} bytes"));
        if (body.Length == 0 && empty is not null)
            return (empty, null);
        try
        {
            return (ContractJson.Read(body, type), null);
        }
        catch (ContractFormatException e)
        {
            return (null, S2Error.BadJson(e.NotJson ? $"the body is not JSON: {e.Reason}" : $"`{e.Path}` should be {e.Expected}"));
        }
    }

    /// <summary>The <c>s2-request-token</c>, or the error.</summary>
    public static (string? Token, S2Error? Error) RequestToken(HttpRequest request)
    {
        var token = request.Headers["s2-request-token"].ToString();
        if (token.Length == 0)
            return (null, null);
        return System.Text.Encoding.UTF8.GetByteCount(token) > 36 ? (null, S2Error.BadHeader("`s2-request-token` is at most 36 bytes")) : (token, null);
    }

    /// <summary>A listing's prefix, start_after and limit (0 or over 1,000 is 1,000, as S2 does).</summary>
    public static (S2ListRequest? Request, S2Error? Error) ListRequest(HttpRequest request)
    {
        var limit = 1000;
        if (request.Query["limit"].ToString() is { Length: > 0 } text)
        {
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit))
                return (null, S2Error.BadQuery("limit is a whole number"));
            limit = limit is 0 or > 1000 ? 1000 : limit;
        }

        return (new S2ListRequest(request.Query["prefix"].ToString(), request.Query["start_after"].ToString(), limit), null);
    }

    /// <summary>The stream named in the raw path after <c>/v1/streams/</c>, percent-decoded exactly once.</summary>
    public static string StreamOf(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "";
        const string Marker = "/v1/streams/";
        var start = raw.IndexOf(Marker, StringComparison.Ordinal);
        if (start < 0)
            return "";
        start += Marker.Length;
        var end = raw.IndexOfAny(['/', '?'], start);
        return Uri.UnescapeDataString(end < 0 ? raw[start..] : raw[start..end]);
    }
}
