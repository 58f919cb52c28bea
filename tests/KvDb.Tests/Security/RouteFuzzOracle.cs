// Whether a successful answer (2xx or 304) to a caller other than root was allowed by that
// caller's grants, judged from the request alone: which route could have served it (every
// route whose template matches the path as Kestrel decodes it, and whose method fits), and for
// that route which keys, ranges, leases or user names the request named.
// Invariants:
//  - The grants are the oracle's own model (prefix and access, as the fuzz set them up), not
//    the server's permission code; only the server's parsers (KeyPath, WatchRequest,
//    TxnRequest, TypedValueJson) are reused, so that the oracle reads a request as the member
//    read it.
//  - A success is a bypass only if no route that could have served the request allows it; a
//    request the oracle cannot read (a route it does not know, a body it cannot parse while the
//    member answered 2xx) is Unknown, counted and reported, never passed silently as checked.
//  - The planted secrets (root's leases, keys, lock, election and list) are also checked by the
//    fuzz's comparison of state before and after; this catches what leaves no trace in state (a
//    read, a keep-alive, a listing).
using System.Globalization;
using System.Text;
using System.Text.Json;
using KvDb.Core.Auth;
using KvDb.Core.Transactions;
using KvDb.Core.Values;
using KvDb.Node.Transactions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;

namespace KvDb.Tests.Security;

/// <summary>A key prefix a user may read or write (or both).</summary>
/// <param name="Prefix">The prefix, as text.</param>
/// <param name="Access">What is allowed on keys that start with it.</param>
public sealed record FuzzGrant(string Prefix, Access Access);

/// <summary>The oracle's judgement of one successful answer.</summary>
public enum Verdict
{
    /// <summary>Some route that could have served the request allows it for the caller.</summary>
    Allowed,

    /// <summary>The oracle cannot tell which keys the request touched.</summary>
    Unknown,

    /// <summary>No route that could have served the request allows it: a permission bypass.</summary>
    Bypass,
}

/// <summary>Judges 2xx answers to non-root callers; see the file header.</summary>
public sealed class RouteFuzzOracle
{
    private readonly IReadOnlyList<(FuzzRoute Route, TemplateMatcher Matcher)> routes;
    private readonly IReadOnlyDictionary<string, FuzzGrant[]> grants;
    private readonly FuzzValues values;

    public RouteFuzzOracle(IReadOnlyList<FuzzRoute> routes, IReadOnlyDictionary<string, FuzzGrant[]> grants, FuzzValues values)
    {
        this.routes = [.. routes.Select(static r => (r, new TemplateMatcher(new RouteTemplate(r.Parsed), new RouteValueDictionary())))];
        this.grants = grants;
        this.values = values;
    }

    /// <summary>Passwords a user may have been given during the fuzz (by its own password change).</summary>
    public static readonly string ChangedPassword = "changed-by-fuzz";

    /// <summary>Judges <paramref name="response"/> (a 2xx or 304) to <paramref name="request"/> from a caller other than root.</summary>
    public (Verdict Verdict, string Reason) Judge(FuzzRequest request, RawHttpResponse response)
    {
        var rawPath = request.Target.Split('?')[0];
        var path = KestrelPath(rawPath);

        var candidates = routes
            .Where(r => string.Equals(r.Route.Method ?? request.Method, request.Method, StringComparison.OrdinalIgnoreCase) && MaySucceed(r.Route, request.Method.ToUpperInvariant()))
            .Select(r => (r.Route, Values: Match(r.Matcher, path)))
            .Where(static r => r.Values is not null)
            .ToList();
        if (candidates.Count == 0)
            return (Verdict.Unknown, $"no route template matches '{path}'");

        var reasons = new List<string>();
        var unknown = false;
        foreach (var (route, routeValues) in candidates)
        {
            var (verdict, reason) = JudgeRoute(route, routeValues!, request, response);
            if (verdict is Verdict.Allowed)
                return (Verdict.Allowed, reason);
            unknown |= verdict is Verdict.Unknown;
            reasons.Add($"as {route}: {reason}");
        }

        return (unknown ? Verdict.Unknown : Verdict.Bypass, string.Join("; ", reasons));
    }

    // The routes mapped for every method answer 405 themselves to the methods they do not serve.
    private static bool MaySucceed(FuzzRoute route, string method) => route.Pattern switch
    {
        "/{**key}" => method is "GET" or "HEAD" or "PUT",
        "/v1/kv/{**key}" => method is "GET" or "HEAD" or "PUT" or "DELETE",
        _ => true,
    };

    private static RouteValueDictionary? Match(TemplateMatcher matcher, string path)
    {
        var routeValues = new RouteValueDictionary();
        return matcher.TryMatch(path, routeValues) ? routeValues : null;
    }

    private (Verdict, string) JudgeRoute(FuzzRoute route, RouteValueDictionary routeValues, FuzzRequest request, RawHttpResponse response)
    {
        var caller = request.Caller;
        var authenticated = caller.Kind is CallerKind.User;
        switch (route.Rule)
        {
            case AccessRule.Open or AccessRule.Probe:
                return route.Pattern == "/v1/auth/token" ? TokenIssue(request) : (Verdict.Allowed, "open route");
            case AccessRule.Peer:
                return (Verdict.Bypass, "a member-to-member route answered on the client port");
            case AccessRule.Root:
                return (Verdict.Bypass, $"a root-only route answered {(authenticated ? "user " + caller.Name : "without valid credentials")}");
        }

        if (!authenticated)
            return (Verdict.Bypass, $"an {route.Rule} route answered without valid credentials");

        var context = Context(request);
        var userGrants = grants.TryGetValue(caller.Name, out var g) ? g : [];
        return route.Rule is AccessRule.AnyUser
            ? AnyUser(route, routeValues, caller, userGrants, response)
            : Keys(route, routeValues, request, context, userGrants);
    }

    private (Verdict, string) TokenIssue(FuzzRequest request)
    {
        try
        {
            using var json = JsonDocument.Parse(request.Body ?? []);
            var name = json.RootElement.GetProperty("name").GetString();
            var password = json.RootElement.GetProperty("password").GetString();
            return values.Users.Any(u => u.Name == name && (u.Password == password || password == ChangedPassword))
                ? (Verdict.Allowed, "a token for correct credentials")
                : (Verdict.Bypass, $"a token for '{name}' with a wrong password");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return (Verdict.Unknown, "a token for a body the oracle cannot read");
        }
    }

    private (Verdict, string) AnyUser(FuzzRoute route, RouteValueDictionary routeValues, FuzzCaller caller, FuzzGrant[] userGrants, RawHttpResponse response)
    {
        var id = long.TryParse(routeValues["id"] as string, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;
        switch (route.Pattern, route.Method)
        {
            case ("/v1/auth/users/{name}/password", _):
                return routeValues["name"] as string == caller.Name
                    ? (Verdict.Allowed, "its own password")
                    : (Verdict.Bypass, $"changed the password of '{routeValues["name"]}'");
            case ("/v1/leases/{id}/keepalive", _) or ("/v1/leases/{id}", "DELETE"):
                return values.RootLeases.Contains(id)
                    ? (Verdict.Bypass, $"kept alive or revoked root's lease {id}")
                    : (Verdict.Allowed, "not root's lease");
            case ("/v1/leases/{id}", _):
                return Listed(response, "keys", static e => e.GetString()) is { } keys
                    ? keys.FirstOrDefault(k => !Allows(userGrants, Access.Read, Encoding.UTF8.GetBytes(k ?? ""), null, singleKey: true)) is { } hidden
                        ? (Verdict.Bypass, $"named key '{hidden}', which the user may not read")
                        : (Verdict.Allowed, "names only readable keys")
                    : (Verdict.Unknown, "lease details the oracle cannot read");
            case ("/v1/leases", "GET"):
                return Listed(response, "leases", static e => e.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture)) is { } ids
                    ? ids.FirstOrDefault(i => values.RootLeases.Contains(long.Parse(i!, CultureInfo.InvariantCulture))) is { } rootLease
                        ? (Verdict.Bypass, $"listed root's lease {rootLease}")
                        : (Verdict.Allowed, "lists no lease of root's")
                    : (Verdict.Unknown, "a lease list the oracle cannot read");
            case ("/v1/keyspaces", "GET"):
                return Listed(response, "keyspaces", static e => e.GetProperty("name").GetString()) is { } names
                    ? names.FirstOrDefault(n => !MayReadUnder(userGrants, n + "/")) is { } hidden2
                        ? (Verdict.Bypass, $"listed keyspace '{hidden2}', none of whose lists the user may read")
                        : (Verdict.Allowed, "lists readable keyspaces only")
                    : (Verdict.Unknown, "a keyspace list the oracle cannot read");
            default:
                return (Verdict.Allowed, "any user may");
        }
    }

    private static List<string?>? Listed(RawHttpResponse response, string property, Func<JsonElement, string?> select)
    {
        try
        {
            using var json = JsonDocument.Parse(response.Body);
            return [.. json.RootElement.GetProperty(property).EnumerateArray().Select(select)];
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    private (Verdict, string) Keys(FuzzRoute route, RouteValueDictionary routeValues, FuzzRequest request, HttpContext context, FuzzGrant[] userGrants)
    {
        List<(Access Access, byte[] Start, byte[]? End, bool Single)>? needs;
        // The routes that take ?lease= (the others ignore it).
        var leases = new List<long>();
        var takesLease = route.Pattern is "/v1/kv/{**key}" or "/{**key}" or "/v1/locks/{name}" or "/v1/elections/{name}/campaign";
        if (takesLease && long.TryParse(context.Request.Query["lease"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var queryLease))
            leases.Add(queryLease);
        try
        {
            needs = Needs(route, routeValues, request, context, leases);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException or TypedValueFormatException or ArgumentException)
        {
            return (Verdict.Unknown, $"the oracle could not read the request ({e.GetType().Name}: {e.Message})");
        }

        if (needs is null)
            return (Verdict.Unknown, "the oracle does not know which keys this route touches");
        if (leases.FirstOrDefault(values.RootLeases.Contains) is var rootLease and not 0)
            return (Verdict.Bypass, $"attached a key to root's lease {rootLease}");
        foreach (var (access, start, end, single) in needs)
        {
            if (!Allows(userGrants, access, start, end, single))
            {
                var what = single ? $"key '{Encoding.UTF8.GetString(start)}'" : $"range ['{Encoding.UTF8.GetString(start)}', {(end is null ? "end" : "'" + Encoding.UTF8.GetString(end) + "'")})";
                return (Verdict.Bypass, $"needs {access} on {what}, which the user's grants do not give");
            }
        }

        return (Verdict.Allowed, "within the user's grants");
    }

    private static List<(Access, byte[], byte[]?, bool)>? Needs(FuzzRoute route, RouteValueDictionary routeValues, FuzzRequest request, HttpContext context, List<long> leases)
    {
        var method = request.Method.ToUpperInvariant();
        var read = method is "GET" or "HEAD";
        var access = read ? Access.Read : Access.Write;
        string Value(string name) => routeValues[name] as string ?? "";
        static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
        List<(Access, byte[], byte[]?, bool)> Key(Access a, byte[] key) => [(a, key, null, true)];
        List<(Access, byte[], byte[]?, bool)> Prefix(Access a, string prefix) => [(a, Bytes(prefix), PrefixEnd(Bytes(prefix)), false)];

        switch (route.Pattern)
        {
            case "/v1/kv/{**key}" or "/{**key}":
            {
                var (key, _, error) = KeyPath.FromRequest(context, route.Pattern == "/{**key}" ? "/" : "/v1/kv/");
                return error is null && method is "GET" or "HEAD" or "PUT" or "DELETE" ? Key(access, key!) : null;
            }

            case "/v1/kv":
            {
                var query = context.Request.Query;
                var prefix = query["prefix"].ToString();
                if (prefix.Length > 0)
                    return Prefix(Access.Read, prefix);
                var end = query["end"].ToString();
                return [(Access.Read, Bytes(query["start"].ToString()), end.Length == 0 ? null : Bytes(end), false)];
            }

            case "/api" when method == "PUT":
                return Key(Access.Write, Bytes(TypedValueJson.ParseEnvelope(request.Body ?? []).Key));
            case "/api" or "/api/{consistency}":
                return S2Key(request.Target) is { } s2 ? Key(route.Pattern == "/api" ? Access.Write : Access.Read, s2) : null;
            case "/v1/locks/{name}":
                return Prefix(access, "_locks/" + Value("name") + "/");
            case "/v1/locks/{name}/{**key}":
            {
                var key = Value("key");
                return Key(Access.Write, Bytes(key.StartsWith("_locks/", StringComparison.Ordinal) ? key : "_locks/" + Value("name") + "/" + key));
            }

            case "/v1/elections/{name}" or "/v1/elections/{name}/observe":
                return Prefix(Access.Read, "_elections/" + Value("name") + "/");
            case "/v1/elections/{name}/campaign" or "/v1/elections/{name}/proclaim" or "/v1/elections/{name}/resign":
            {
                using (var body = JsonDocument.Parse(request.Body ?? []))
                {
                    if (body.RootElement.ValueKind is JsonValueKind.Object && body.RootElement.TryGetProperty("lease", out var lease) && lease.TryGetInt64(out var id))
                        leases.Add(id);
                }

                return Prefix(Access.Write, "_elections/" + Value("name") + "/");
            }

            case "/v1/keyspaces/{name}/lists/{**key}":
                return Key(Access.Read, Bytes(Value("name") + "/" + Value("key")));
            case "/v1/lists/{keyspace}/{**key}":
                return Key(access, Bytes(Value("keyspace") + "/" + Value("key")));
            case "/v1/txn":
            {
                var (command, error) = TxnRequest.Parse(request.Body ?? [], int.MaxValue, int.MaxValue, null);
                if (command is null)
                    throw new FormatException(error);
                var needs = command.Comparisons.Select(static c => c.IsRange ? (Access.Read, c.Key, c.End, false) : (Access.Read, c.Key, (byte[]?)null, true)).ToList();
                foreach (var operation in command.Then.Concat(command.Else))
                {
                    if (operation.Lease != 0)
                        leases.Add(operation.Lease);
                    needs.Add(operation.Kind switch
                    {
                        TxnOperationKind.Get => (Access.Read, operation.Key, null, true),
                        TxnOperationKind.Range => (Access.Read, operation.Key, operation.End, false),
                        TxnOperationKind.DeleteRange => (Access.Write, operation.Key, operation.End, false),
                        _ => (Access.Write, operation.Key, null, true),
                    });
                }

                return needs;
            }

            case "/v1/watch":
            {
                var (watch, error) = WatchRequest.Parse(context.Request);
                if (watch is null)
                    throw new FormatException(error);
                return [(Access.Read, watch.Range.Start, watch.Range.End, watch.Range.SingleKey && watch.Range.End is null)];
            }

            default:
                return null;
        }
    }

    // The S2 API's ?key=: exactly one, percent-decoded strictly from the raw target.
    private static byte[]? S2Key(string target)
    {
        var query = target.IndexOf('?', StringComparison.Ordinal) is var at and >= 0 ? target[(at + 1)..] : "";
        var keys = query.Split('&').Where(static p => (p.IndexOf('=', StringComparison.Ordinal) is var eq && eq >= 0 ? p[..eq] : p) == "key").ToList();
        if (keys.Count != 1)
            return null;
        var encoded = keys[0].IndexOf('=', StringComparison.Ordinal) is var equals and >= 0 ? keys[0][(equals + 1)..].Replace("+", "%20", StringComparison.Ordinal) : "";
        return encoded.Length == 0 ? null : KeyPath.Decode(encoded).Key;
    }

    /// <summary>Whether <paramref name="userGrants"/> allow <paramref name="access"/> on the key, or on every key of the range.</summary>
    public static bool Allows(FuzzGrant[] userGrants, Access access, byte[] start, byte[]? end, bool singleKey)
    {
        // An empty range reveals and changes nothing.
        if (!singleKey && end is not null && start.AsSpan().SequenceCompareTo(end) >= 0)
            return true;
        foreach (var grant in userGrants)
        {
            if ((grant.Access & access) != access)
                continue;
            var prefix = Encoding.UTF8.GetBytes(grant.Prefix);
            if (!start.AsSpan().StartsWith(prefix))
                continue;
            if (singleKey || (end is not null && PrefixEnd(prefix) is { } limit && end.AsSpan().SequenceCompareTo(limit) <= 0))
                return true;
        }

        return false;
    }

    private static bool MayReadUnder(FuzzGrant[] userGrants, string prefix)
        => userGrants.Any(g => (g.Access & Access.Read) != 0 && (g.Prefix.StartsWith(prefix, StringComparison.Ordinal) || prefix.StartsWith(g.Prefix, StringComparison.Ordinal)));

    /// <summary>The first key after every key that starts with <paramref name="prefix"/>; null when there is none.</summary>
    public static byte[]? PrefixEnd(byte[] prefix)
    {
        var end = (byte[])prefix.Clone();
        for (var i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] != 0xFF)
            {
                end[i]++;
                return end[..(i + 1)];
            }
        }

        return null;
    }

    /// <summary>
    /// The path as Kestrel gives it to routing: percent-escapes decoded where they spell UTF-8
    /// (an escape that does not, and %2F, stays as written), then "." and ".." segments removed.
    /// </summary>
    public static string KestrelPath(string raw)
    {
        var decoded = new StringBuilder();
        for (var i = 0; i < raw.Length; i++)
        {
            if (!IsEscape(raw, i))
            {
                decoded.Append(raw[i]);
                continue;
            }

            var first = Convert.ToByte(raw.Substring(i + 1, 2), 16);
            var length = first switch { < 0x80 => 1, >= 0xC2 and <= 0xDF => 2, >= 0xE0 and <= 0xEF => 3, >= 0xF0 and <= 0xF4 => 4, _ => 0 };
            var bytes = new List<byte> { first };
            for (var j = 1; j < length && IsEscape(raw, i + (3 * j)); j++)
                bytes.Add(Convert.ToByte(raw.Substring(i + (3 * j) + 1, 2), 16));
            string? text = null;
            if (length > 0 && bytes.Count == length && first != (byte)'/')
            {
                try
                {
                    text = new UTF8Encoding(false, true).GetString([.. bytes]);
                }
                catch (DecoderFallbackException)
                {
                }
            }

            decoded.Append(text ?? raw.Substring(i, 3));
            i += (text is null ? 1 : length) * 3 - 1;
        }

        var output = new List<string>();
        var segments = decoded.ToString().Split('/').Skip(1).ToList();
        foreach (var segment in segments)
        {
            if (segment == "..")
            {
                if (output.Count > 0)
                    output.RemoveAt(output.Count - 1);
            }
            else if (segment != ".")
            {
                output.Add(segment);
            }
        }

        if (segments.Count > 0 && segments[^1] is "." or "..")
            output.Add("");
        return "/" + string.Join('/', output);
    }

    private static bool IsEscape(string text, int at)
        => at + 2 < text.Length && text[at] == '%' && Uri.IsHexDigit(text[at + 1]) && Uri.IsHexDigit(text[at + 2]);

    // The request as the member's parsers see it: method, raw target, query, headers, body.
    private static HttpContext Context(FuzzRequest request)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = request.Method;
        var query = request.Target.IndexOf('?', StringComparison.Ordinal) is var at and >= 0 ? request.Target[at..] : "";
        context.Request.QueryString = new QueryString(query.Length > 1 ? query.Split('#')[0] : null);
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = request.Target;
        foreach (var (name, value) in request.Headers)
            context.Request.Headers.Append(name, value);
        return context;
    }
}
