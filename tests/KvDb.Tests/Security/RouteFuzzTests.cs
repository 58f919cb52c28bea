// Issue 26, deliverable 3: every route of a three-member cluster with auth on gets random and
// malformed requests (paths, query strings, headers, bodies), with and without credentials.
// Routes come from the app's endpoint data source (NodeComposition.BuildApp, as the route table
// test reads it), their query parameters from the OpenAPI document the members serve
// (/openapi/v1.json), and sample bodies from the route table. Callers: root (first, alone, before
// the secrets are planted), then mal (readwrite on pub/, _locks/m/, _elections/m/), wuser
// (write-only on drop/), nobody (no role), anonymous callers and garbage credentials.
// Checked, for every answer:
//  - No 5xx. A 503 is excused only when the cluster really had no leader: some member reports
//    none, or some member's term moved during the phase (an election happened). 507 only when a
//    member says its disk is below the reserve. 500 never.
//  - Every 4xx/5xx is problem details (application/problem+json, "status" equal to the status,
//    a "title"). The only exception is Kestrel's own rejection of a request it cannot parse
//    (400/413/414/431 with no body, no Content-Type and the connection closed): it comes before
//    kvdb's pipeline, and BadInputTests pins it down.
//  - No bypass: every 2xx (and 304) to a caller other than root is judged by RouteFuzzOracle
//    against the caller's grants; no answer to a caller other than root carries a planted secret
//    value. After the run, root reads the planted secrets (values, revisions, their lease, the
//    lock and election root holds, a list) and the users and roles: nothing changed.
//  - No crash: every member is still running, answers /ping and serves a write and read, and
//    none logged an error (an unhandled exception the client could not see, a failed apply).
// Deterministic: a fixed seed (KVDB_FUZZ_SEED to change or replay), a request budget
// (KVDB_FUZZ_REQUESTS), not a time limit. Request i of a phase is a function of the seed, i and
// the values planted (lease ids), so a replay sends the same requests; with several workers their
// order differs (KVDB_FUZZ_WORKERS=1 sends them in order). The client's deadlines (a stream is
// read for 400 ms, a lock or blocking read waited on for 2 s) only stop the client from hanging;
// they assert nothing about the members' speed.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using KvDb.Core.Auth;
using KvDb.Tests.Auth;
using KvDb.Tests.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Xunit.Abstractions;

namespace KvDb.Tests.Security;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class RouteFuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int DefaultSeed = 26;
    private const int DefaultRequests = 12000;
    private const int DefaultWorkers = 4;
    private const int MaxReportedFindings = 25;

    // Every planted secret value starts with this; no request ever contains it.
    private const string SecretMarker = "S3CRET-";

    private static readonly TimeSpan StreamBudget = TimeSpan.FromMilliseconds(400);
    private static readonly TimeSpan WaitPatience = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan AnswerPatience = TimeSpan.FromSeconds(60);

    private static readonly Dictionary<string, FuzzGrant[]> Grants = new(StringComparer.Ordinal)
    {
        ["mal"] = [new("pub/", Access.ReadWrite), new("_locks/m/", Access.ReadWrite), new("_elections/m/", Access.ReadWrite)],
        ["wuser"] = [new("drop/", Access.Write)],
        ["nobody"] = [],
    };

    private readonly FuzzCaller root = new("root", CallerKind.Root, "root-pw-26");
    private readonly FuzzCaller mal = new("mal", CallerKind.User, "mal-pw-26");
    private readonly FuzzCaller wuser = new("wuser", CallerKind.User, "wuser-pw-26");
    private readonly FuzzCaller nobody = new("nobody", CallerKind.User, "nobody-pw-26");
    private readonly FuzzCaller anonymous = new("anonymous", CallerKind.Anonymous);
    private readonly FuzzCaller garbage = new("garbage-credentials", CallerKind.Garbage);

    private readonly FuzzValues values = new();
    private readonly ConcurrentDictionary<string, int> statuses = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> outcomes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (int Count, string First)> findings = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (int Sent, int Succeeded)> perRoute = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> examples = new();
    private readonly Dictionary<int, long> termsAtStart = [];
    private KvdbCluster cluster = null!;
    private HttpClient control = null!;
    private volatile bool crashed;
    private int workers = DefaultWorkers;

    public async Task InitializeAsync()
    {
        // A long request timeout: on a loaded 2-core machine a commit can be slow without any
        // leader change, and only a real lack of leader may answer 503 here.
        cluster = await KvdbCluster.StartAsync(3, "--in-memory", "--request-timeout", "20s");
        control = cluster.NewClient(TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        control.Dispose();
        await cluster.DisposeAsync();
    }

    [Fact]
    public async Task Random_and_malformed_requests_to_every_route_get_no_5xx_no_crash_and_no_permission_bypass()
    {
        var seed = Environment.GetEnvironmentVariable("KVDB_FUZZ_SEED") is { Length: > 0 } s ? int.Parse(s, CultureInfo.InvariantCulture) : DefaultSeed;
        var budget = Environment.GetEnvironmentVariable("KVDB_FUZZ_REQUESTS") is { Length: > 0 } r ? int.Parse(r, CultureInfo.InvariantCulture) : DefaultRequests;
        workers = Environment.GetEnvironmentVariable("KVDB_FUZZ_WORKERS") is { Length: > 0 } w ? int.Parse(w, CultureInfo.InvariantCulture) : DefaultWorkers;
        output.WriteLine($"route fuzz: seed {seed} (replay with KVDB_FUZZ_SEED={seed}), budget {budget} requests (KVDB_FUZZ_REQUESTS), {workers} workers (KVDB_FUZZ_WORKERS=1 sends them in order)");

        await SetUpAuthAsync();
        var routes = await DiscoverRoutesAsync();
        output.WriteLine($"{routes.Count} routes (method and pattern) from the endpoint data source, e.g. {string.Join(", ", routes.Take(5))}");
        var generator = new RouteFuzzGenerator(routes, values);
        var oracle = new RouteFuzzOracle(routes, Grants, values);
        var clock = Stopwatch.StartNew();

        // Phase 1: root, before anything is planted (root may change and delete anything, so
        // its requests only have to answer well); the users and roles must survive it.
        var rootCount = budget / 5;
        var authBefore = await AuthSnapshotAsync();
        await RunPhaseAsync("root", seed, rootCount, [root], generator, oracle);
        (await AuthSnapshotAsync()).Should().Be(authBefore, "root's fuzz never names the users and roles the checks use (RouteFuzzGenerator.SafeForRoot)");

        // Phase 2: everyone else, against planted secrets.
        var secrets = await PlantSecretsAsync(seed);
        var callers = new[] { mal, mal, mal, mal, mal, wuser, wuser, nobody, nobody, anonymous, anonymous, garbage, garbage, garbage };
        await RunPhaseAsync("users", seed, budget - rootCount, callers, generator, oracle);
        var elapsed = clock.Elapsed;

        await CheckMembersAliveAsync();
        CheckMembersLoggedNoError();
        if (!crashed)
        {
            var after = await ReadSecretsAsync(values.PlantedNames[0]);
            foreach (var (what, before) in secrets)
            {
                if (!after.TryGetValue(what, out var now) || now != before)
                    Record("secret changed", what, $"planted {what} was {before}, after the fuzz {(now ?? "gone")}");
            }

            var authAfter = await AuthSnapshotAsync();
            if (authAfter != authBefore)
                Record("auth changed", "users and roles", $"before: {authBefore}\nafter: {authAfter}");
            await CheckStillServingAsync();
        }

        Report(seed, budget, elapsed);
        findings.Should().BeEmpty(
            "the route fuzz (seed {0}; replay with KVDB_FUZZ_SEED={0}) found:\n{1}\n\nmembers:\n{2}",
            seed,
            string.Join("\n\n", findings.Take(MaxReportedFindings).Select(f => $"{f.Key} (x{f.Value.Count}):\n  {f.Value.First}")),
            Tail(cluster.Describe(), 20_000));
    }

    private async Task SetUpAuthAsync()
    {
        async Task ExpectAsync(HttpStatusCode expected, string path, string body)
        {
            using var response = await control.PostAsync(new Uri(cluster.Url(1), path), new StringContent(body, Encoding.UTF8, "application/json"));
            response.StatusCode.Should().Be(expected, "{0}: {1}", path, await response.Content.ReadAsStringAsync());
        }

        await ExpectAsync(HttpStatusCode.Created, "v1/auth/roles", """{"name": "mal-rw", "permissions": [{"prefix": "pub/", "access": "readwrite"}, {"prefix": "_locks/m/", "access": "readwrite"}, {"prefix": "_elections/m/", "access": "readwrite"}]}""");
        await ExpectAsync(HttpStatusCode.Created, "v1/auth/roles", """{"name": "w-only", "permissions": [{"prefix": "drop/", "access": "write"}]}""");
        await ExpectAsync(HttpStatusCode.Created, "v1/auth/users", $$"""{"name": "root", "password": "{{root.Password}}"}""");
        await ExpectAsync(HttpStatusCode.Created, "v1/auth/users", $$"""{"name": "mal", "password": "{{mal.Password}}", "roles": ["mal-rw"]}""");
        await ExpectAsync(HttpStatusCode.Created, "v1/auth/users", $$"""{"name": "wuser", "password": "{{wuser.Password}}", "roles": ["w-only"]}""");
        await ExpectAsync(HttpStatusCode.Created, "v1/auth/users", $$"""{"name": "nobody", "password": "{{nobody.Password}}"}""");
        await ExpectAsync(HttpStatusCode.OK, "v1/auth/enable", "");

        foreach (var caller in new[] { root, mal, wuser, nobody })
        {
            caller.Token = await IssueTokenAsync(caller);
            values.Users.Add(caller);
        }

        foreach (var name in new[] { "mal", "wuser", "nobody", "mal-rw", "w-only" })
            values.ProtectedNames.Add(name);

        // A lease of mal's own: the fuzz names it as well as root's.
        values.UserLeases.Add(LeaseId(await SendAsync(mal, HttpMethod.Post, "v1/leases", """{"ttl": "100h"}""", HttpStatusCode.Created)));
    }

    private async Task<string> IssueTokenAsync(FuzzCaller caller)
        => await Eventually.ValueAsync(
            async () =>
            {
                using var response = await control.PostAsync(new Uri(cluster.Url(1), "v1/auth/token"), new StringContent(JsonSerializer.Serialize(new { name = caller.Name, password = caller.Password }), Encoding.UTF8, "application/json"));
                var text = await response.Content.ReadAsStringAsync();
                if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
                    return null;
                response.StatusCode.Should().Be(HttpStatusCode.OK, "a token for {0}: {1}", caller.Name, text);
                return JsonDocument.Parse(text).RootElement.GetProperty("token").GetString();
            },
            static token => token is not null,
            $"a token for {caller.Name}",
            KvdbCluster.Patience,
            () => cluster.Describe(),
            retryOn: static e => e is HttpRequestException) ?? "";

    private async Task<List<FuzzRoute>> DiscoverRoutesAsync()
    {
        await using var app = NodeComposition.BuildApp(UnstartedMember.Options("route-fuzz"));
        var endpoints = ((IEndpointRouteBuilder)app).DataSources.SelectMany(static d => d.Endpoints).OfType<RouteEndpoint>().ToList();

        using var document = JsonDocument.Parse(await control.GetStringAsync(new Uri(cluster.Url(1), "openapi/v1.json")));
        var paths = document.RootElement.GetProperty("paths");

        var routes = new List<FuzzRoute>();
        foreach (var endpoint in endpoints)
        {
            var pattern = endpoint.RoutePattern.RawText!;
            var rule = endpoint.Metadata.GetMetadata<AccessRuleMetadata>()?.Rule ?? AccessRule.Root;
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.ToArray() ?? [null!];
            foreach (var method in methods)
            {
                var queryNames = QueryNames(paths, OpenApiPath(endpoint.RoutePattern), method);
                var samples = RouteTable.Cases.Where(c => c.Pattern == pattern && (c.Method == method || c.Method == "*") && c.Body is not null).Select(static c => c.Body!).ToList();
                routes.Add(new FuzzRoute(pattern, method, rule, endpoint.RoutePattern, queryNames, samples));
            }
        }

        routes.Should().Contain(static r => r.Pattern == "/v1/kv/{**key}").And.Contain(static r => r.Pattern == "/v1/txn");
        return routes;
    }

    // "/v1/kv/{**key}" is "/v1/kv/{key}" in the OpenAPI document; constraints are left out too.
    private static string OpenApiPath(RoutePattern pattern)
    {
        var path = new StringBuilder();
        foreach (var segment in pattern.PathSegments)
        {
            path.Append('/');
            foreach (var part in segment.Parts)
            {
                path.Append(part switch
                {
                    RoutePatternLiteralPart literal => literal.Content,
                    RoutePatternSeparatorPart separator => separator.Content,
                    RoutePatternParameterPart parameter => "{" + parameter.Name + "}",
                    _ => "",
                });
            }
        }

        return path.Length == 0 ? "/" : path.ToString();
    }

    private static List<string> QueryNames(JsonElement paths, string path, string? method)
    {
        var names = new List<string>();
        if (!paths.TryGetProperty(path, out var operations))
            return names;
        foreach (var operation in operations.EnumerateObject())
        {
            if (method is not null && !string.Equals(operation.Name, method, StringComparison.OrdinalIgnoreCase))
                continue;
            if (operation.Value.ValueKind is not JsonValueKind.Object || !operation.Value.TryGetProperty("parameters", out var parameters))
                continue;
            foreach (var parameter in parameters.EnumerateArray())
            {
                if (parameter.GetProperty("in").GetString() == "query" && parameter.GetProperty("name").GetString() is { } name && !names.Contains(name))
                    names.Add(name);
            }
        }

        return names;
    }

    private async Task RunPhaseAsync(string phase, int seed, int count, IReadOnlyList<FuzzCaller> callers, RouteFuzzGenerator generator, RouteFuzzOracle oracle)
    {
        termsAtStart.Clear();
        foreach (var member in cluster.Members)
            termsAtStart[member.Id] = (await StatusAsync(member.Id)).Term;

        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            int index;
            while (!crashed && (index = Interlocked.Increment(ref next)) < count)
            {
                var random = new Random(RequestSeed(seed, phase, index));
                var request = generator.Next(phase, index, random, callers);
                await ExecuteAsync(request, oracle);
            }
        })));
        Count(outcomes, $"requests tried ({phase})", Math.Min(count, next));
    }

    // Request i of a phase has its own generator, so it does not depend on how the workers interleave.
    private static int RequestSeed(int seed, string phase, int index)
    {
        var x = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)index * 0xBF58476D1CE4E5B9UL ^ (phase == "root" ? 0x94D049BB133111EBUL : 0UL);
        x ^= x >> 31;
        x *= 0xD6E8FEB86659FD93UL;
        x ^= x >> 32;
        return (int)(x & 0x7FFFFFFF);
    }

    private async Task ExecuteAsync(FuzzRequest request, RouteFuzzOracle oracle)
    {
        RawHttpResponse response;
        try
        {
            response = await RawHttpExchange.SendAsync(cluster.Url(request.Member), new RawHttpExchange.Request(
                request.Method, request.Target, request.Headers, request.Body, request.DeclaredLength, request.ShutdownAfterBody,
                request.MayWait ? WaitPatience : AnswerPatience, StreamBudget));
        }
        catch (RawHttpTimeoutException) when (request.MayWait)
        {
            Count(outcomes, "left waiting by the client (lock, campaign, blocking read)");
            return;
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or RawHttpTimeoutException or OperationCanceledException)
        {
            if (!cluster.Member(request.Member).IsRunning)
            {
                crashed = true;
                Record("crash", $"member {request.Member} exited", $"{request.Describe()}\n  member {request.Member} exited with {cluster.Member(request.Member).ExitCode}");
                return;
            }

            if (request.ShutdownAfterBody && e is IOException)
            {
                // The client half-closed a body shorter than it declared; Kestrel may take that as
                // the client leaving and not answer. Nothing to check but the member's health.
                Count(outcomes, "half-closed by the client, no answer");
                return;
            }

            Record("no answer", $"{request.Method} {request.Route.Pattern} {e.GetType().Name}", $"{request.Describe()}\n  => {e.GetType().Name}: {e.Message}");
            return;
        }

        Count(statuses, $"{request.Phase} {response.Status}");
        perRoute.AddOrUpdate(request.Route.ToString(), _ => (1, response.Status < 300 ? 1 : 0), (_, n) => (n.Sent + 1, n.Succeeded + (response.Status < 300 ? 1 : 0)));
        if (response.BodyCut)
            Count(outcomes, "streams read for their budget, then left");
        await CheckAsync(request, response, oracle);
    }

    private async Task CheckAsync(FuzzRequest request, RawHttpResponse response, RouteFuzzOracle oracle)
    {
        var status = response.Status;
        string Answer() => $"{request.Describe()}\n  => {status} {response.MediaType} {FuzzRequest.Shorten(response.BodyText, 600)}";

        if (status >= 500)
        {
            var excuse = status switch
            {
                503 => await NoLeaderAsync(),
                507 => await DiskFullAsync(),
                501 when RouteTable.Cases.Any(c => c.NotImplemented && c.Pattern == request.Route.Pattern) => "an S2 endpoint kvdb does not implement",
                _ => null,
            };
            if (excuse is null)
                Record("5xx", $"{request.Method} {request.Route.Pattern} {status}", Answer());
            else
                Count(outcomes, $"{status} excused: {excuse}");
        }

        if (status >= 400)
        {
            var bareKestrel = response.Body.Length == 0 && response.Header("Content-Type") is null
                && string.Equals(response.Header("Connection"), "close", StringComparison.OrdinalIgnoreCase) && status is 400 or 413 or 414 or 431;
            if (bareKestrel)
            {
                Count(outcomes, $"bare Kestrel {status} (request not parsed)");
                if (examples.Count < 5)
                    examples.Enqueue(request.Describe());
            }
            else if (ProblemDetailsError(request, response) is { } error)
            {
                Record("not problem details", $"{request.Method} {request.Route.Pattern} {status}", $"{error}\n{Answer()}");
            }
        }

        if (request.Caller.Kind is CallerKind.Root)
            return;

        if (response.BodyText.Contains(SecretMarker, StringComparison.Ordinal))
            Record("secret leaked", $"{request.Method} {request.Route.Pattern} {status}", Answer());

        if (status is (>= 200 and < 300) or 304)
        {
            var (verdict, reason) = oracle.Judge(request, response);
            Count(outcomes, $"2xx to {request.Caller.Kind} judged {verdict}");
            if (verdict is Verdict.Bypass)
                Record("bypass", $"{request.Method} {request.Route.Pattern} {request.Caller}", $"{reason}\n{Answer()}");
            else if (verdict is Verdict.Unknown && examples.Count < 10)
                examples.Enqueue($"unjudged ({reason}): {request.Describe()}");

            if (request.Route.Pattern == "/v1/auth/users/{name}/password" && request.Caller.Kind is CallerKind.User && verdict is Verdict.Allowed)
                await RestorePasswordAsync(request.Caller);
        }
    }

    private static string? ProblemDetailsError(FuzzRequest request, RawHttpResponse response)
    {
        if (response.MediaType != "application/problem+json")
            return $"Content-Type is '{response.Header("Content-Type")}', not application/problem+json";
        if (request.Method == "HEAD")
            return null;
        try
        {
            using var json = JsonDocument.Parse(response.Body);
            var problem = json.RootElement;
            if (!problem.TryGetProperty("status", out var status) || status.ValueKind is not JsonValueKind.Number || status.GetInt32() != response.Status)
                return "\"status\" is missing or differs from the response status";
            if (!problem.TryGetProperty("title", out var title) || title.ValueKind is not JsonValueKind.String || string.IsNullOrWhiteSpace(title.GetString()))
                return "\"title\" is missing";
            return null;
        }
        catch (JsonException e)
        {
            return $"the body is not JSON: {e.Message}";
        }
    }

    // A 503 is the truth only when some member has no leader or an election happened during the phase.
    private async Task<string?> NoLeaderAsync()
    {
        foreach (var member in cluster.Members)
        {
            var status = await StatusAsync(member.Id);
            if (status.Role != "leader" && !status.HasLeader)
                return $"member {member.Id} had no leader";
            if (status.Term != termsAtStart[member.Id])
                return $"member {member.Id} went from term {termsAtStart[member.Id]} to {status.Term} (an election)";
        }

        return null;
    }

    private async Task<string?> DiskFullAsync()
    {
        foreach (var member in cluster.Members)
        {
            using var status = JsonDocument.Parse(await SendAsync(root, HttpMethod.Get, "v1/status", null, HttpStatusCode.OK, member.Id));
            if (status.RootElement.GetProperty("writesRefused").GetBoolean())
                return $"member {member.Id} refuses writes (disk below its reserve)";
        }

        return null;
    }

    private async Task<(string Role, bool HasLeader, long Term)> StatusAsync(int member)
    {
        using var status = JsonDocument.Parse(await SendAsync(root, HttpMethod.Get, "v1/status", null, HttpStatusCode.OK, member));
        var rootElement = status.RootElement;
        return (rootElement.GetProperty("role").GetString()!, rootElement.GetProperty("leader").ValueKind is JsonValueKind.Object, rootElement.GetProperty("term").GetInt64());
    }

    // A user changed its own password (allowed): give it back, so the rest of the fuzz still
    // authenticates as that user, and take a new token (the change voided the old one). Two
    // workers restoring at once do the same thing twice, which is harmless.
    private async Task RestorePasswordAsync(FuzzCaller caller)
    {
        await SendAsync(root, HttpMethod.Put, $"v1/auth/users/{caller.Name}/password", JsonSerializer.Serialize(new { password = caller.Password }), HttpStatusCode.NoContent);
        caller.Token = await IssueTokenAsync(caller);
        Count(outcomes, "own password changed by the fuzz, restored");
    }

    /// <summary>Plants root-only secrets; returns what each looks like to root, for comparison after the fuzz.</summary>
    private async Task<Dictionary<string, string>> PlantSecretsAsync(int seed)
    {
        // Names no request of root's phase could have used (they were not in the dictionary yet).
        var name = "secret" + seed.ToString(CultureInfo.InvariantCulture);
        string Secret() => SecretMarker + Guid.NewGuid().ToString("N");
        await SendAsync(root, HttpMethod.Put, $"v1/kv/{name}/plain", Secret(), HttpStatusCode.NoContent);

        var lease = LeaseId(await SendAsync(root, HttpMethod.Post, "v1/leases", """{"ttl": "100h"}""", HttpStatusCode.Created));
        values.RootLeases.Add(lease);
        await SendAsync(root, HttpMethod.Put, $"v1/kv/{name}/leased?lease={lease}", Secret(), HttpStatusCode.NoContent);

        using (var held = JsonDocument.Parse(await SendAsync(root, HttpMethod.Post, $"v1/locks/{name}?ttl=100h&timeout=10s", null, HttpStatusCode.OK)))
        {
            values.RootLeases.Add(held.RootElement.GetProperty("lease").GetInt64());
            values.OwnershipKeys.Add(held.RootElement.GetProperty("key").GetString()!);
        }

        using (var elected = JsonDocument.Parse(await SendAsync(root, HttpMethod.Post, $"v1/elections/{name}/campaign?timeout=10s", JsonSerializer.Serialize(new { value = Secret(), ttl = "100h" }), HttpStatusCode.OK)))
        {
            values.RootLeases.Add(elected.RootElement.GetProperty("lease").GetInt64());
            values.OwnershipKeys.Add(elected.RootElement.GetProperty("key").GetString()!);
        }

        await SendAsync(root, HttpMethod.Put, $"v1/keyspaces/{name}", null, HttpStatusCode.Created);
        await SendAsync(root, HttpMethod.Post, $"v1/lists/{name}/l", JsonSerializer.Serialize(new { items = new[] { new { value = Secret() } } }), HttpStatusCode.OK);

        values.PlantedNames.Add(name);
        values.PlantedKeys.AddRange([$"{name}/plain", $"{name}/leased", $"{name}/", $"_locks/{name}/", $"_elections/{name}/"]);
        var planted = await ReadSecretsAsync(name);
        planted.Should().HaveCount(6, "every planted secret reads back: {0}", string.Join(", ", planted.Keys));
        output.WriteLine($"planted under '{name}': {string.Join(", ", planted.Keys)}; root's leases {string.Join(", ", values.RootLeases)}");
        return planted;
    }

    private async Task<Dictionary<string, string>> ReadSecretsAsync(string name)
    {
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in new[] { $"{name}/plain", $"{name}/leased" })
        {
            using var response = await RootRequestAsync(HttpMethod.Get, $"v1/kv/{key}", null);
            if (response.StatusCode is HttpStatusCode.OK)
                seen[key] = $"{await response.Content.ReadAsStringAsync()} at {response.Headers.ETag}";
        }

        async Task ReadAsync(string what, string path)
        {
            using var response = await RootRequestAsync(HttpMethod.Get, path, null);
            if (response.StatusCode is HttpStatusCode.OK)
                seen[what] = await response.Content.ReadAsStringAsync();
        }

        await ReadAsync("root's lease of the leased key", $"v1/leases/{values.RootLeases.FirstOrDefault()}");
        await ReadAsync("root's lock", $"v1/locks/{name}");
        await ReadAsync("root's election", $"v1/elections/{name}");
        await ReadAsync("root's list", $"v1/lists/{name}/l");

        // Remaining time changes by itself; what matters is that the lease and its keys are there.
        if (seen.TryGetValue("root's lease of the leased key", out var lease))
        {
            using var json = JsonDocument.Parse(lease);
            seen["root's lease of the leased key"] = $"lease {json.RootElement.GetProperty("id").GetInt64()} with keys {json.RootElement.GetProperty("keys")}";
        }

        return seen;
    }

    private async Task<string> AuthSnapshotAsync()
    {
        var snapshot = new StringBuilder();
        foreach (var path in new[] { "v1/auth/status", "v1/auth/users/root", "v1/auth/users/mal", "v1/auth/users/wuser", "v1/auth/users/nobody", "v1/auth/roles/mal-rw", "v1/auth/roles/w-only" })
            snapshot.Append(path).Append(": ").Append(await SendAsync(root, HttpMethod.Get, path, null, HttpStatusCode.OK)).Append('\n');
        return snapshot.ToString();
    }

    // An exception the client never sees (the response had started, the connection was gone) is
    // still a bug: ASP.NET Core logs it at error level, as kvdb logs what it cannot recover from.
    private void CheckMembersLoggedNoError()
    {
        foreach (var member in cluster.Members)
        {
            var lines = member.Output.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                if (System.Text.RegularExpressions.Regex.Match(lines[i], @"^\d\d:\d\d:\d\d\.\d{3} (fail|crit) (.*)$") is { Success: true } error)
                    Record("error logged", $"member {member.Id}: {FuzzRequest.Shorten(error.Groups[2].Value, 120)}", string.Join('\n', lines.Skip(i).Take(8)));
            }
        }
    }

    private async Task CheckMembersAliveAsync()
    {
        foreach (var member in cluster.Members)
        {
            if (!member.IsRunning)
            {
                crashed = true;
                Record("crash", $"member {member.Id} exited", $"member {member.Id} exited with {member.ExitCode}");
                continue;
            }

            using var ping = await control.GetAsync(new Uri(cluster.Url(member.Id), "ping"));
            if (ping.StatusCode is not HttpStatusCode.OK)
                Record("crash", $"member {member.Id} /ping", $"member {member.Id} answers /ping with {(int)ping.StatusCode}");
        }
    }

    // A write through each member, read back on every member. A 503 is retried: an election
    // right after the fuzz is no crash, and a member that never serves again fails the wait.
    private async Task CheckStillServingAsync()
    {
        async Task<string> ServedAsync(HttpMethod method, string path, string? body, int member, HttpStatusCode expected)
            => await Eventually.ValueAsync(
                async () =>
                {
                    using var response = await RootRequestAsync(method, path, body, member);
                    var text = await response.Content.ReadAsStringAsync();
                    if (response.StatusCode is HttpStatusCode.ServiceUnavailable)
                        return null;
                    response.StatusCode.Should().Be(expected, "{0} {1} on member {2} after the fuzz: {3}", method, path, member, text);
                    return text;
                },
                static text => text is not null,
                $"member {member} to answer {method} {path} after the fuzz",
                KvdbCluster.Patience,
                () => cluster.Describe(),
                retryOn: static e => e is HttpRequestException) ?? "";

        foreach (var member in cluster.Members)
        {
            var value = Guid.NewGuid().ToString("N");
            await ServedAsync(HttpMethod.Put, $"v1/kv/after-fuzz/{member.Id}", value, member.Id, HttpStatusCode.NoContent);
            foreach (var reader in cluster.Members)
                (await ServedAsync(HttpMethod.Get, $"v1/kv/after-fuzz/{member.Id}", null, reader.Id, HttpStatusCode.OK)).Should().Be(value);
        }
    }

    private async Task<HttpResponseMessage> RootRequestAsync(HttpMethod method, string path, string? body, int member = 1)
    {
        using var request = new HttpRequestMessage(method, new Uri(cluster.Url(member), path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", root.Token);
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, body.StartsWith('{') ? "application/json" : "text/plain");
        return await control.SendAsync(request);
    }

    private async Task<string> SendAsync(FuzzCaller caller, HttpMethod method, string path, string? body, HttpStatusCode expected, int member = 1)
    {
        using var request = new HttpRequestMessage(method, new Uri(cluster.Url(member), path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", caller.Token);
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, body.StartsWith('{') ? "application/json" : "text/plain");
        using var response = await control.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(expected, "{0} {1} as {2}: {3}", method, path, caller.Name, text);
        return text;
    }

    private static long LeaseId(string granted) => JsonDocument.Parse(granted).RootElement.GetProperty("id").GetInt64();

    private void Record(string kind, string signature, string text)
        => findings.AddOrUpdate($"{kind}: {signature}", _ => (1, text), (_, seen) => (seen.Count + 1, seen.First));

    private static void Count(ConcurrentDictionary<string, int> counts, string what, int by = 1)
        => counts.AddOrUpdate(what, by, (_, n) => n + by);

    private void Report(int seed, int budget, TimeSpan elapsed)
    {
        var tried = outcomes.Where(static o => o.Key.StartsWith("requests tried", StringComparison.Ordinal)).Sum(static o => o.Value);
        output.WriteLine($"route fuzz: {tried} requests tried of a budget of {budget} in {elapsed.TotalSeconds:F1} s (seed {seed}, {workers} workers)");
        foreach (var (what, count) in outcomes.OrderBy(static o => o.Key, StringComparer.Ordinal))
            output.WriteLine($"  {what}: {count}");
        output.WriteLine("  statuses: " + string.Join(", ", statuses.OrderBy(static s => s.Key, StringComparer.Ordinal).Select(static s => $"{s.Key} x{s.Value}")));
        output.WriteLine("  per route (answered, of which 2xx): " + string.Join(", ", perRoute.OrderBy(static p => p.Key, StringComparer.Ordinal).Select(static p => $"{p.Key} {p.Value.Sent}/{p.Value.Succeeded}")));
        foreach (var example in examples)
            output.WriteLine($"  e.g. {example}");
        output.WriteLine($"findings: {findings.Count}");
        foreach (var (signature, (count, first)) in findings.Take(MaxReportedFindings))
            output.WriteLine($"  {signature} (x{count}):\n    {first}");
    }

    private static string Tail(string text, int length) => text.Length <= length ? text : "…" + text[^length..];
}
