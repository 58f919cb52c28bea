// One query parameter without parsing the whole query: Request.Query builds a dictionary per
// request, which on a read that asks for ?consistency=local was a tenth of what it allocated.
// Invariants:
//  - The answer is what Request.Query[name] gives: a query with any escaping ('%' or '+') or
//    with the name more than once is handed to Request.Query itself.
//  - A name without '=' has the empty value; an absent name is null.
namespace KvDb.Node.HttpKit;

/// <summary>Looks up single query parameters.</summary>
public static class QueryLookup
{
    /// <summary>The value of <paramref name="name"/> as Request.Query would give it (several values joined by commas), or null when absent.</summary>
    public static string? Get(HttpRequest request, string name)
    {
        var query = request.QueryString.Value;
        if (string.IsNullOrEmpty(query))
            return null;
        var span = query.AsSpan(1);
        if (span.IndexOfAny('%', '+') >= 0)
            return Fallback(request, name);

        string? found = null;
        foreach (var range in span.Split('&'))
        {
            var pair = span[range];
            var equals = pair.IndexOf('=');
            var key = equals < 0 ? pair : pair[..equals];
            if (!key.SequenceEqual(name))
                continue;
            if (found is not null)
                return Fallback(request, name);
            found = equals < 0 ? "" : pair[(equals + 1)..].ToString();
        }

        return found;
    }

    /// <summary>Whether the query names <paramref name="name"/>.</summary>
    public static bool Contains(HttpRequest request, string name) => Get(request, name) is not null;

    private static string? Fallback(HttpRequest request, string name)
        => request.Query.TryGetValue(name, out var values) ? values.ToString() : null;
}
