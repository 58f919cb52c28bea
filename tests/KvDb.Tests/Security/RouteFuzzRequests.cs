// What the route fuzz sends: the routes (from the app's endpoint data source, with the query
// parameters the OpenAPI document names and the sample bodies of the route table), the callers
// (root, users with and without grants, nobody, garbage credentials), and a generator that
// turns (seed, phase, index) into one request: path parameters, query values, headers and a
// body, each valid, wrong-typed, huge, truncated or badly encoded.
// Invariants:
//  - Request i of a phase depends only on the seed, the phase, i and the values the fuzz
//    planted (lease ids, lock keys): KVDB_FUZZ_SEED replays the same requests.
//  - Root's requests never reach what would end the run rather than test it: disabling auth,
//    rotating the signing key, membership changes of real members, and changes to the users
//    and roles the other callers are checked against (RootMayNot, SafeForRoot).
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Routing.Patterns;

namespace KvDb.Tests.Security;

/// <summary>A route as mapped, with what the fuzz knows about its inputs.</summary>
/// <param name="Pattern">The route pattern as mapped.</param>
/// <param name="Method">The method it is mapped for; null for a route mapped for every method.</param>
/// <param name="Rule">Its access rule.</param>
/// <param name="Parsed">The parsed pattern.</param>
/// <param name="QueryNames">The query parameters the OpenAPI document names for it.</param>
/// <param name="SampleBodies">Bodies the route table uses for it.</param>
public sealed record FuzzRoute(string Pattern, string? Method, AccessRule Rule, RoutePattern Parsed, IReadOnlyList<string> QueryNames, IReadOnlyList<string> SampleBodies)
{
    public override string ToString() => $"{Method ?? "*"} {Pattern}";
}

/// <summary>Who sends a request.</summary>
public enum CallerKind
{
    /// <summary>The root user.</summary>
    Root,

    /// <summary>A user with its own grants (possibly none).</summary>
    User,

    /// <summary>No credentials at all.</summary>
    Anonymous,

    /// <summary>Credentials that never authenticate: malformed, unknown user, wrong password, forged token.</summary>
    Garbage,
}

/// <summary>A caller and its credentials.</summary>
public sealed class FuzzCaller(string name, CallerKind kind, string? password = null)
{
    public string Name { get; } = name;

    public CallerKind Kind { get; } = kind;

    public string? Password { get; } = password;

    /// <summary>A current Bearer token; replaced after the fuzz changes the user's password.</summary>
    public string? Token { get; set; }

    public override string ToString() => Name;
}

/// <summary>One generated request.</summary>
public sealed record FuzzRequest(
    string Phase,
    int Index,
    FuzzCaller Caller,
    FuzzRoute Route,
    int Member,
    string Method,
    string Target,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    byte[]? Body,
    long? DeclaredLength,
    bool ShutdownAfterBody,
    bool LiteralsMutated)
{
    /// <summary>Whether the request may legitimately wait for something before answering (a lock, a campaign, a blocking read).</summary>
    public bool MayWait
        => (Method == "POST" && (Route.Pattern == "/v1/locks/{name}" || Route.Pattern.EndsWith("/campaign", StringComparison.Ordinal)))
           || Query.Contains("index", StringComparison.OrdinalIgnoreCase) || Query.Contains("wait", StringComparison.OrdinalIgnoreCase)
           || Query.Contains("follow", StringComparison.OrdinalIgnoreCase) || Query.Contains("timeout", StringComparison.OrdinalIgnoreCase);

    private string Query => Target.IndexOf('?', StringComparison.Ordinal) is var at and >= 0 ? Target[at..] : "";

    public string Describe()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"[{Phase} #{Index}] as {Caller} to member {Member} (route {Route}{(LiteralsMutated ? ", literals mutated" : "")}): {Method} {Shorten(Target, 400)}");
        foreach (var (name, value) in Headers)
            text.Append(CultureInfo.InvariantCulture, $"\n    {name}: {Shorten(value, 160)}");
        if (DeclaredLength is not null || ShutdownAfterBody)
            text.Append(CultureInfo.InvariantCulture, $"\n    (Content-Length declared {DeclaredLength?.ToString(CultureInfo.InvariantCulture) ?? "as sent"}{(ShutdownAfterBody ? ", then half-closed" : "")})");
        if (Body is not null)
            text.Append(CultureInfo.InvariantCulture, $"\n    body {Body.Length} bytes: {Shorten(Encoding.UTF8.GetString(Body, 0, Math.Min(Body.Length, 600)), 400)}");
        return text.ToString();
    }

    public static string Shorten(string text, int length)
        => (text.Length <= length ? text : text[..length] + $"…({text.Length} chars)").Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}

/// <summary>Values the fuzz learned while setting up: lease ids, lock and election keys, users.</summary>
public sealed class FuzzValues
{
    /// <summary>Leases root granted for the planted secrets.</summary>
    public List<long> RootLeases { get; } = [];

    /// <summary>Leases the user mal granted itself before the fuzz.</summary>
    public List<long> UserLeases { get; } = [];

    /// <summary>Keys of planted lock holders and election leaders.</summary>
    public List<string> OwnershipKeys { get; } = [];

    /// <summary>
    /// Names of the planted secrets (keys, and the lock, election and keyspace names), known only
    /// once planted: root's requests before that cannot name them by chance.
    /// </summary>
    public List<string> PlantedKeys { get; } = [];

    /// <inheritdoc cref="PlantedKeys"/>
    public List<string> PlantedNames { get; } = [];

    /// <summary>Names of users and roles the checks rely on: root must not change them.</summary>
    public HashSet<string> ProtectedNames { get; } = new(StringComparer.OrdinalIgnoreCase) { "root" };

    /// <summary>Callers whose correct password the token endpoint may be sent.</summary>
    public List<FuzzCaller> Users { get; } = [];
}

/// <summary>Generates requests; see the file header.</summary>
public sealed class RouteFuzzGenerator(IReadOnlyList<FuzzRoute> routes, FuzzValues values)
{
    private static readonly string[] AnyMethods = ["GET", "GET", "GET", "HEAD", "PUT", "PUT", "PUT", "POST", "DELETE", "DELETE", "PATCH", "OPTIONS", "BREW", "get"];
    private static readonly string[] Numbers = ["0", "1", "2", "3", "-1", "100", "1000", "1001", "10001", "2147483648", "9007199254740993", "9223372036854775807", "9223372036854775808", "18446744073709551616", "1e3", "1.5", "0x10", "%2B5", " 1", "abc", "", "%FF", "١٢"];
    private static readonly string[] Durations = ["1s", "10s", "100ms", "0s", "0", "-1s", "1h", "7d", "8d", "1e9h", "99999999999999999999s", "s", "10", "10x", "1.5s", "P1D", "", "NaN", "Infinity", "5m", "300001ms", "1ms"];
    private static readonly string[] Booleans = ["true", "false", "TRUE", "1", "0", "yes", "", "null"];
    private static readonly string[] Consistencies = ["linearizable", "local", "strong", "eventual", "LOCAL", "Strong", "Eventual", "bogus", ""];
    private static readonly string[] FixedNames = ["m", "m", "m", "m", "pub", "pub", "secret", "drop", "x", "", "m/x", "..", ".", "a b", "ключ", "🔑", "m\u0000", "_locks", "root", "mal", "wuser", "nobody", "ghost", "mal-rw", "w-only"];
    private static readonly string[] Fragments = ["%zz", "%4", "%", "%C0%AF", "%ED%A0%80", "%F0%9F%98", "%00", "%2F", "%2f", "%25", "+", "%FF", "%E2%82%AC", "%2E%2E", "..", ".", "//", ";", ",", "%20", "~", "%7E", "*", "$"];
    private static readonly string[] IfMatch = ["*", "\"1\"", "\"0\"", "\"-1\"", "W/\"1\"", "\"1\", \"2\"", "\"99999999999999999999\"", "1", "\"\"", "\"abc\"", "garbage", "\"", "W/", "\"18446744073709551616\""];
    private static readonly string[] ContentTypes = ["application/json", "text/plain", "application/octet-stream", "application/x-ndjson", "application/problem+json", "nonsense", "a/b;;;", "multipart/form-data; boundary=x", "application/json; charset=utf-16", "application/x-www-form-urlencoded", ""];
    private static readonly string[] Accepts = ["text/event-stream", "application/json", "*/*", "application/x-ndjson", "text/html", "application/problem+json", "garbage"];

    // Values swapped into JSON bodies: wrong types, absurd numbers, deep nesting, bad strings.
    private static readonly string[] JsonValues =
    [
        "0", "-1", "1.5", "1e400", "-1e400", "1e-400", "18446744073709551616", "-9223372036854775809", "9007199254740993", "true", "false", "null",
        "[]", "{}", "\"\"", "\"x\"", "\"\\u0000\"", "\"\\ud800\"", "\"10s\"", "\"-5s\"", "\"1e9h\"", "\"secret/plain\"", "\"pub/a\"", "\"drop/a\"", "\"_locks/m/a\"",
        "\"readwrite\"", "\"root\"", "[1,2,3]", "{\"a\":1}", "\"" + new string('x', 5000) + "\"", Nest("[", 200, "1", "]"), Nest("{\"a\":", 200, "1", "}"),
    ];

    private readonly List<FuzzRoute> rootRoutes = [.. routes.Where(static r => !RootMayNot(r))];

    /// <summary>Whether root must not be sent to <paramref name="route"/> at all: it would end the run, not test it (enable and rotate-key start a new signing key, voiding the callers' tokens).</summary>
    public static bool RootMayNot(FuzzRoute route)
        => route.Pattern is "/v1/auth/disable" or "/v1/auth/enable" || route.Pattern.Contains("rotate", StringComparison.OrdinalIgnoreCase);

    /// <summary>Routes whose real targets root's requests must not name (members, users and roles the checks use).</summary>
    private static bool Guarded(FuzzRoute route, string method)
        => method is not ("GET" or "HEAD")
           && (route.Pattern.Contains("nodeId", StringComparison.Ordinal) || route.Pattern.StartsWith("/v1/members", StringComparison.Ordinal)
               || route.Pattern.StartsWith("/v1/auth/users/", StringComparison.Ordinal) || route.Pattern.StartsWith("/v1/auth/roles/", StringComparison.Ordinal));

    /// <summary>Request <paramref name="index"/> of <paramref name="phase"/> from <paramref name="random"/> (seeded for this request only).</summary>
    public FuzzRequest Next(string phase, int index, Random random, IReadOnlyList<FuzzCaller> callers)
    {
        var caller = Pick(random, callers);
        var pool = caller.Kind is CallerKind.Root ? rootRoutes : routes;
        var route = Pick(random, pool);
        var method = route.Method is null || random.Next(12) == 0 ? Pick(random, AnyMethods) : route.Method;
        var rootGuarded = caller.Kind is CallerKind.Root && Guarded(route, method.ToUpperInvariant());

        var (path, mutated) = Path(random, route, rootGuarded);

        // Whatever route it came from, a path of digits is a member to POST and DELETE (kv-db's
        // /{nodeId}): root must not remove a real member or add a fake one. Only the guarded
        // requests of that route itself (no real member's id, a body that is no URL) may go there.
        if (caller.Kind is CallerKind.Root && method.ToUpperInvariant() is not ("GET" or "HEAD") && !(rootGuarded && route.Pattern.StartsWith("/{nodeId", StringComparison.Ordinal))
            && RouteFuzzOracle.KestrelPath(path).Trim('/') is { Length: > 0 } digits && digits.All(char.IsAsciiDigit))
            path = "/fuzz-not-a-member";
        var target = path + Query(random, route);

        var headers = new List<KeyValuePair<string, string>>();
        Credentials(random, caller, headers);
        for (var i = random.Next(4); i > 0; i--)
            headers.Add(Header(random));

        var body = Body(random, route, method, rootGuarded);
        if (body is not null && random.Next(10) < 8)
            headers.Add(new("Content-Type", random.Next(4) == 0 ? Pick(random, ContentTypes) : LooksLikeJson(body) ? "application/json" : "text/plain"));

        long? declared = null;
        var shutdown = false;
        if (body is { Length: > 2 } && random.Next(40) == 0)
        {
            // Content-Length that lies: shorter (the rest is ignored, the connection closes) or
            // longer (the body ends early: the connection is half-closed after it).
            declared = random.Next(2) == 0 ? random.Next(body.Length) : body.Length + random.Next(1, 1000);
            shutdown = declared > body.Length;
        }

        return new FuzzRequest(phase, index, caller, route, random.Next(1, 4), method, target, headers, body, declared, shutdown, mutated);
    }

    private (string Path, bool Mutated) Path(Random random, FuzzRoute route, bool rootGuarded)
    {
        var path = new StringBuilder();
        var mutate = random.Next(20) == 0;
        foreach (var segment in route.Parsed.PathSegments)
        {
            path.Append('/');
            foreach (var part in segment.Parts)
            {
                switch (part)
                {
                    case RoutePatternLiteralPart literal:
                        path.Append(mutate && random.Next(3) == 0 ? MutateLiteral(random, literal.Content) : literal.Content);
                        break;
                    case RoutePatternSeparatorPart separator:
                        path.Append(separator.Content);
                        break;
                    case RoutePatternParameterPart parameter:
                        path.Append(ParameterValue(random, parameter, rootGuarded));
                        break;
                }
            }
        }

        if (path.Length == 0)
            path.Append('/');
        if (mutate && random.Next(3) == 0)
            path.Append(Pick(random, ["/", "//", "/.", "/..", "%2F", "?", "#x", ";x"]));
        return (path.ToString(), mutate);
    }

    private static string MutateLiteral(Random random, string literal) => random.Next(5) switch
    {
        0 => literal.ToUpperInvariant(),
        1 => "/" + literal,
        2 => "." + "/" + literal,
        3 => string.Concat(literal.Select(c => "%" + ((int)c).ToString("X2", CultureInfo.InvariantCulture))),
        _ => literal + Pick(random, Fragments),
    };

    private string ParameterValue(Random random, RoutePatternParameterPart parameter, bool rootGuarded)
    {
        for (var attempt = 0; ; attempt++)
        {
            var value = RawValue(random, parameter.Name, parameter.IsCatchAll);
            if (!rootGuarded || attempt > 20 || SafeForRoot(value))
                return attempt > 20 ? "fuzz-guarded" : value;
        }
    }

    // What root's requests may name on a guarded route: no real member (1 to 3, however spelled)
    // and no user or role the checks rely on.
    private bool SafeForRoot(string raw)
    {
        string decoded;
        try
        {
            decoded = Uri.UnescapeDataString(raw).Trim();
        }
        catch (UriFormatException)
        {
            return true;
        }

        if (decoded.Length == 0 || (long.TryParse(decoded, NumberStyles.Any, CultureInfo.InvariantCulture, out var id) && id is >= 0 and <= 3))
            return false;
        return !values.ProtectedNames.Contains(decoded) && !decoded.Contains("..", StringComparison.Ordinal) && !decoded.Contains('/', StringComparison.Ordinal);
    }

    private string RawValue(Random random, string name, bool catchAll)
    {
        switch (name)
        {
            case "id" or "nodeId" or "index":
                return random.Next(4) == 0 ? RandomFragment(random) : Escape(Pick(random, LeaseIds()));
            case "consistency":
                return Escape(Pick(random, Consistencies));
            case "documentName":
                return Escape(Pick(random, ["v1", "v2", "", "..", "v1.json"]));
        }

        return random.Next(10) switch
        {
            < 5 when catchAll => EscapeKey(random, Pick(random, Keys())),
            < 5 => Escape(Pick(random, Names())),
            < 8 => RandomFragment(random),
            8 => new string('k', random.Next(200, 5000)),
            _ => Escape(Pick(random, Names())) + Pick(random, Fragments),
        };
    }

    private IReadOnlyList<string> Names() => values.PlantedNames.Count == 0 ? FixedNames : [.. FixedNames, .. values.PlantedNames, .. values.PlantedNames];

    private IReadOnlyList<string> LeaseIds()
    {
        var ids = new List<string>(Numbers);
        foreach (var id in values.RootLeases.Concat(values.UserLeases))
        {
            ids.Add(id.ToString(CultureInfo.InvariantCulture));
            ids.Add(id.ToString(CultureInfo.InvariantCulture));
            ids.Add(id.ToString("x16", CultureInfo.InvariantCulture));
        }

        return ids;
    }

    private IReadOnlyList<string> Keys()
    {
        var keys = new List<string>
        {
            "pub/a", "pub/b", "pub/", "pub", "pub/x/y", "pub/ü", "pub/a", "drop/a", "drop/", "drop", "secret/plain", "secret/leased", "secret/", "secret",
            "_locks/m/a", "_locks/m/", "_locks/secret/", "_elections/m/a", "_elections/m/", "_elections/secret/", "a", "", " ", "/", "..", ".",
            "pub/../secret/plain", "pub/%2e%2e/secret/plain", "\u0000", "ключ", "🔑", "v1/kv/pub/a", "api", "ping", "internal/v1/propose", "pub/" + new string('x', 5000),
        };
        foreach (var lease in values.RootLeases)
        {
            // Finding 1 of issue 26: a lock key named after a lease, "{id:x16}g".
            keys.Add(lease.ToString("x16", CultureInfo.InvariantCulture) + "g");
            keys.Add("_locks/m/" + lease.ToString("x16", CultureInfo.InvariantCulture) + "g");
            keys.Add("_elections/m/" + lease.ToString("x16", CultureInfo.InvariantCulture) + "g");
            keys.Add("_locks/m/" + lease.ToString("x16", CultureInfo.InvariantCulture));
        }

        keys.AddRange(values.OwnershipKeys);
        keys.AddRange(values.PlantedKeys);
        keys.AddRange(values.PlantedKeys);
        return keys;
    }

    private static string RandomFragment(Random random)
    {
        var text = new StringBuilder();
        for (var i = random.Next(1, 10); i > 0; i--)
        {
            text.Append(random.Next(8) switch
            {
                0 => "%" + random.Next(256).ToString("X2", CultureInfo.InvariantCulture),
                1 or 2 => Pick(random, Fragments),
                3 => Uri.EscapeDataString(Pick(random, ["ключ", "🔑", "é", " ", "?", "#", "\u0000", "\uFEFF"])),
                _ => ((char)random.Next('a', 'z' + 1)).ToString(),
            });
        }

        return text.ToString();
    }

    private static string Escape(string value) => Uri.EscapeDataString(value);

    // A key for a catch-all parameter: '/' mostly kept as a separator, sometimes %2F.
    private static string EscapeKey(Random random, string key)
        => random.Next(5) == 0 ? Uri.EscapeDataString(key) : string.Join('/', key.Split('/').Select(Uri.EscapeDataString));

    private string Query(Random random, FuzzRoute route)
    {
        var count = random.Next(10) switch { < 3 => 0, < 7 => 1, < 9 => 2, _ => random.Next(3, 7) };
        if (count == 0)
            return "";
        var parts = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var name = route.QueryNames.Count > 0 && random.Next(6) != 0
                ? Pick(random, route.QueryNames)
                : Pick(random, ["key", "prefix", "lease", "ttl", "after", "x", "", "limit", "%zz", "key[]"]);
            parts.Add(name + (random.Next(15) == 0 ? "" : "=" + QueryValue(random, name)));
            if (random.Next(10) == 0)
                parts.Add(parts[^1]);
        }

        return "?" + string.Join(random.Next(20) == 0 ? "&&" : "&", parts);
    }

    private string QueryValue(Random random, string name)
    {
        if (random.Next(8) == 0)
            return RandomFragment(random);
        return name switch
        {
            "consistency" => Escape(Pick(random, Consistencies)),
            "limit" or "from" or "index" or "after" or "startOffset" or "startTimestamp" or "startNonce" => Escape(Pick(random, Numbers)),
            "ttl" or "timeout" or "wait" or "progress" => Escape(Pick(random, Durations)),
            "lease" => Escape(Pick(random, LeaseIds())),
            "prev" or "follow" => Escape(Pick(random, Booleans)),
            "order" => Escape(Pick(random, ["forward", "backward", "FORWARD", "sideways", ""])),
            "continuation" => Escape(Pick(random, ["", "%%%", "YQ", "enp6", "____", "cHViL2E", "c2VjcmV0L3BsYWlu", new string('A', 6000)])),
            _ => random.Next(3) == 0 ? Escape(Pick(random, Keys())).Replace("%2F", "/", StringComparison.Ordinal) : Escape(Pick(random, Keys())),
        };
    }

    private void Credentials(Random random, FuzzCaller caller, List<KeyValuePair<string, string>> headers)
    {
        switch (caller.Kind)
        {
            case CallerKind.Anonymous:
                if (random.Next(10) == 0)
                    headers.Add(new("Authorization", ""));
                return;
            case CallerKind.Garbage:
                headers.Add(new("Authorization", GarbageAuthorization(random)));
                if (random.Next(8) == 0)
                    headers.Add(new("Authorization", GarbageAuthorization(random)));
                return;
        }

        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{caller.Name}:{caller.Password}"));
        headers.Add(new("Authorization", random.Next(10) switch
        {
            < 6 when caller.Token is not null => "Bearer " + caller.Token,
            6 => "basic " + basic,
            7 => "Basic    " + basic + "  ",
            _ => "Basic " + basic,
        }));
    }

    private string GarbageAuthorization(Random random)
    {
        var token = values.Users.FirstOrDefault(static u => u.Token is not null)?.Token ?? "x.y";
        var forged = token.ToCharArray();
        var at = forged.Length / 2;
        forged[at] = forged[at] == 'A' ? 'B' : 'A';
        return random.Next(14) switch
        {
            0 => "Basic " + RandomFragment(random),
            1 => "Basic !!!notbase64",
            2 => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("mal")),
            3 => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(":malpw")),
            4 => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("mal:wrong")),
            5 => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("ghost:ghostpw")),
            6 => "Basic " + Convert.ToBase64String([0xC0, 0xAF, (byte)':', 0xFF]),
            7 => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("mal:" + new string('p', random.Next(300, 3000)))),
            8 => "Bearer " + RandomFragment(random),
            9 => "Bearer " + new string(forged),
            10 => "Bearer " + token + token,
            11 => "Bearer " + new string('t', random.Next(1000, 60_000)),
            12 => Pick(random, ["Digest x", "Negotiate", "Bearer", "Basic", "Bearer  ", "Basic =", "NTLM TlRMTVNTUAAB"]),
            _ => "Bearer " + token[..^random.Next(1, Math.Max(2, token.Length / 2))],
        };
    }

    private static KeyValuePair<string, string> Header(Random random) => random.Next(9) switch
    {
        0 => new("If-Match", Pick(random, IfMatch)),
        1 => new("If-None-Match", Pick(random, IfMatch)),
        2 => new("Idempotency-Key", Pick(random, ["fz-1", "fz-2", "fz-3", "", "has space", new string('i', 256), new string('i', 40_000), "\u00e9t\u00e9", "fz-1"])),
        3 => new("Accept", Pick(random, Accepts)),
        4 => new("Last-Event-ID", Pick(random, Numbers)),
        5 => new("Content-Type", Pick(random, ContentTypes)),
        6 => new("X-Forwarded-For", Pick(random, ["1.2.3.4", "garbage", "::1"])),
        7 => new("Expect", Pick(random, ["100-continue", "nonsense"])),
        _ => new("X-Fuzz", new string('h', random.Next(1, 2000))),
    };

    private byte[]? Body(Random random, FuzzRoute route, string method, bool rootGuarded)
    {
        if (method is "GET" or "HEAD" or "DELETE" or "OPTIONS" && random.Next(5) != 0)
            return null;

        var seeds = Seeds(random, route);

        // Root's guarded requests (membership, users, roles) only ever carry bodies nothing
        // accepts: truncated, deeply nested, random bytes, empty or huge.
        if (rootGuarded)
        {
            return random.Next(5) switch
            {
                0 when seeds.Count > 0 => Truncate(random, Pick(random, seeds)),
                1 => DeepNesting(random),
                2 => RandomBytes(random),
                3 => [],
                _ => Encoding.UTF8.GetBytes(Pick(random, ["null", "[]", "{}", "{\"id\": \"x\"}", "1e400", "{\"a\":1,\"a\":2}"])),
            };
        }

        var kind = seeds.Count == 0 ? 62 + random.Next(38) : random.Next(100);
        return kind switch
        {
            < 25 => Encoding.UTF8.GetBytes(Pick(random, seeds)),
            < 55 => Encoding.UTF8.GetBytes(MutateJson(random, Pick(random, seeds))),
            < 62 => Truncate(random, Pick(random, seeds)),
            < 68 => DeepNesting(random),
            < 76 => RandomBytes(random),
            < 81 => [],
            < 83 => Encoding.UTF8.GetBytes("{\"value\": \"" + new string('v', random.Next(1_000_000, 1_200_000)) + "\"}"),
            < 89 => InvalidUtf8(random, seeds.Count > 0 ? Pick(random, seeds) : "{\"key\":\"x\"}"),
            < 94 => Encoding.UTF8.GetBytes(string.Join('\n', Enumerable.Range(0, random.Next(2, 5)).Select(_ => seeds.Count > 0 ? Pick(random, seeds) : "{}"))),
            _ => Encoding.UTF8.GetBytes(Pick(random, ["null", "\"just a string\"", "[]", "{}", "http://127.0.0.1:1", "http://[::1", "1e400", "\uFEFF{}", " ", "{\"a\":1,\"a\":2}"])),
        };
    }

    private static byte[] DeepNesting(Random random)
    {
        var (open, close) = Pick(random, new[] { ("[", "]"), ("{\"a\":", "}"), ("{\"items\":[", "]}"), ("{\"then\":[", "]}"), ("{\"value\":{\"List\":[", "]}}") });
        return Encoding.UTF8.GetBytes(Nest(open, random.Next(50, 50_000), "1", random.Next(4) == 0 ? "" : close));
    }

    private static byte[] Truncate(Random random, string seed)
    {
        var bytes = Encoding.UTF8.GetBytes(seed);
        return bytes[..random.Next(bytes.Length)];
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(1, 4096)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] InvalidUtf8(Random random, string seed)
    {
        var bytes = Encoding.UTF8.GetBytes(seed).ToList();
        bytes.InsertRange(random.Next(bytes.Count + 1), Pick(random, new byte[][] { [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xFF], [0x00], [0xEF, 0xBB, 0xBF], [0xF0, 0x9F, 0x98] }));
        return [.. bytes];
    }

    // One scalar or property name of a JSON seed replaced by something of the wrong kind.
    private static string MutateJson(Random random, string seed)
    {
        var bytes = Encoding.UTF8.GetBytes(seed);
        var tokens = new List<(int Start, int End, bool Name)>();
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 256 });
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null or JsonTokenType.PropertyName)
                    tokens.Add(((int)reader.TokenStartIndex, (int)reader.BytesConsumed, reader.TokenType is JsonTokenType.PropertyName));
            }
        }
        catch (JsonException)
        {
            // Not JSON (an NDJSON seed, a URL): mutate the text instead.
        }

        if (tokens.Count == 0)
            return seed + Pick(random, JsonValues);
        var (start, end, name) = Pick(random, tokens);
        var text = Encoding.UTF8.GetString(bytes);
        var before = Encoding.UTF8.GetString(bytes, 0, start);
        var after = Encoding.UTF8.GetString(bytes, end, bytes.Length - end);
        var replacement = name
            ? Pick(random, ["\"\"", "\"unknown\"", "\"key\"", "\"Key\"", "\"lease\"", "\"password\"", "\"prefix\""])
            : Pick(random, JsonValues);
        return random.Next(10) == 0 ? text + text : before + replacement + after;
    }

    private List<string> Seeds(Random random, FuzzRoute route)
    {
        var seeds = new List<string>(route.SampleBodies.Where(static b => b.Length > 0));
        string Key() => JsonSerializer.Serialize(Pick(random, Keys()));
        string Lease() => Pick(random, LeaseIds()) is var id && long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out _) ? id : "7";
        var user = values.Users.Count > 0 ? Pick(random, values.Users) : null;
        switch (route.Pattern)
        {
            case "/v1/txn":
                seeds.Add($"{{\"then\": [{{\"get\": {{\"key\": {Key()}}}}}]}}");
                seeds.Add($"{{\"then\": [{{\"range\": {{\"prefix\": {Key()}, \"limit\": 5}}}}]}}");
                seeds.Add($"{{\"then\": [{{\"range\": {{\"start\": {Key()}, \"end\": {Key()}}}}}]}}");
                seeds.Add($"{{\"then\": [{{\"delete\": {{\"prefix\": {Key()}}}}}]}}");
                seeds.Add($"{{\"then\": [{{\"delete\": {{\"start\": {Key()}, \"end\": {Key()}}}}}]}}");
                seeds.Add($"{{\"if\": [{{\"key\": {Key()}, \"target\": \"value\", \"op\": \"==\", \"value\": \"x\"}}], \"then\": [{{\"put\": {{\"key\": {Key()}, \"value\": \"v\", \"lease\": {Lease()}}}}}], \"else\": [{{\"get\": {{\"key\": {Key()}}}}}]}}");
                seeds.Add($"{{\"if\": [{{\"key\": {Key()}, \"target\": \"revision\", \"op\": \">\", \"value\": 0}}], \"then\": [{{\"put\": {{\"key\": {Key()}, \"valueBase64\": \"AAE=\"}}}}, {{\"delete\": {{\"key\": {Key()}}}}}]}}");
                seeds.Add($"{{\"then\": [{{\"put\": {{\"key\": {Key()}, \"typed\": {{\"Int\": 1}}}}}}]}}");
                break;
            case "/v1/leases":
                seeds.AddRange(["{\"ttl\": \"60s\"}", "{\"ttl\": 60}", "{\"ttl\": \"1s\"}", "{\"ttl\": \"7d\"}"]);
                break;
            case "/api":
                seeds.Add($"{{\"key\": {Key()}, \"value\": {{\"Str\": \"x\"}}}}");
                seeds.Add($"{{\"key\": {Key()}, \"value\": {{\"List\": [{{\"Int\": 1}}, {{\"Float\": 1.5}}]}}}}");
                seeds.Add($"{{\"key\": {Key()}, \"value\": {{\"Map\": [[{{\"Str\": \"a\"}}, {{\"UInt\": 1}}]]}}}}");
                break;
            case "/v1/lists/{keyspace}/{**key}":
                seeds.Add("{\"items\": [{\"value\": \"x\"}, {\"valueBase64\": \"AAE=\", \"nonce\": \"n1\", \"timestamp\": 1}]}");
                seeds.Add("{\"value\": \"a\", \"nonce\": \"n2\"}\n{\"value\": \"b\"}\n");
                break;
            case "/v1/elections/{name}/campaign":
                seeds.Add("{\"value\": \"me\", \"ttl\": \"5s\"}");
                seeds.Add($"{{\"value\": \"me\", \"lease\": {Lease()}}}");
                break;
            case "/v1/elections/{name}/proclaim":
                seeds.Add($"{{\"key\": {Key()}, \"revision\": 1, \"value\": \"x\"}}");
                break;
            case "/v1/elections/{name}/resign":
                seeds.Add($"{{\"key\": {Key()}}}");
                break;
            case "/v1/auth/token" when user is not null:
                seeds.Add(JsonSerializer.Serialize(new Dictionary<string, string?> { ["name"] = user.Name, ["password"] = user.Password }));
                seeds.Add(JsonSerializer.Serialize(new Dictionary<string, string?> { ["name"] = user.Name, ["password"] = "wrong" }));
                break;
            case "/v1/auth/users":
                seeds.Add("{\"name\": \"fz-user\", \"password\": \"pw\", \"roles\": [\"mal-rw\"]}");
                break;
            case "/v1/auth/users/{name}/password":
                seeds.Add("{\"password\": \"changed-by-fuzz\"}");
                if (user is not null)
                    seeds.Add(JsonSerializer.Serialize(new Dictionary<string, string?> { ["password"] = "changed-by-fuzz", ["currentPassword"] = user.Password }));
                break;
            case "/v1/auth/roles":
                seeds.Add($"{{\"name\": \"fz-role\", \"permissions\": [{{\"prefix\": {Key()}, \"access\": \"readwrite\"}}]}}");
                break;
            case "/v1/auth/roles/{name}":
                seeds.Add($"{{\"permissions\": [{{\"prefix\": {Key()}, \"access\": \"read\"}}]}}");
                break;
            case "/v1/auth/users/{name}/roles":
                seeds.Add("{\"role\": \"mal-rw\"}");
                break;
            case "/v1/members":
                seeds.Add("{\"id\": 9, \"peerUrl\": \"http://127.0.0.1:1\"}");
                break;
        }

        return seeds;
    }

    private static bool LooksLikeJson(byte[] body) => body.Length > 0 && body[0] is (byte)'{' or (byte)'[';

    private static string Nest(string open, int depth, string inner, string close)
        => string.Concat(Enumerable.Repeat(open, depth)) + inner + string.Concat(Enumerable.Repeat(close, depth));

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];
}
