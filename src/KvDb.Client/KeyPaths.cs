// Keys in request paths and queries. kvdb takes the key as the percent-decoded path after
// /v1/kv/, so every byte outside the unreserved set is escaped ('/' as %2F), and the two keys
// that a URL parser would take as dot segments ("." and "..") are escaped too, in a URL built
// without canonicalization (System.Uri would otherwise unescape %2E and remove the segment).

namespace KvDb.Client;

/// <summary>Escapes keys for kvdb's URLs.</summary>
internal static class KeyPaths
{
    /// <summary>The relative URL of <paramref name="key"/> under <c>/v1/kv/</c>, with <paramref name="query"/> when not null.</summary>
    public static string Key(string key, string? query = null)
    {
        var escaped = key is "." or ".." ? key.Replace(".", "%2E", StringComparison.Ordinal) : Uri.EscapeDataString(key);
        return query is null ? "v1/kv/" + escaped : "v1/kv/" + escaped + "?" + query;
    }

    /// <summary>The URL of <paramref name="key"/> on the member at <paramref name="baseUri"/>, exactly as escaped.</summary>
    public static Uri KeyUri(Uri baseUri, string key, string? query = null)
        => new(baseUri.AbsoluteUri + Key(key, query), new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });

    /// <summary>
    /// <paramref name="key"/> for a catch-all route (<c>{**key}</c>, e.g. a list's key): each
    /// segment between slashes escaped, the slashes kept, since ASP.NET Core leaves <c>%2F</c> undecoded there.
    /// </summary>
    public static string Escape(string key)
        => string.Join('/', key.Split('/').Select(static segment => segment is "." or ".." ? segment.Replace(".", "%2E", StringComparison.Ordinal) : Uri.EscapeDataString(segment)));

    /// <summary>A query parameter value.</summary>
    public static string Query(string value) => Uri.EscapeDataString(value);

    /// <summary>Checks <paramref name="key"/> is a usable key (not null or empty).</summary>
    public static void Validate(string key, string name = "key")
    {
        ArgumentException.ThrowIfNullOrEmpty(key, name);
    }
}
