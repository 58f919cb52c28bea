// Bad input on every endpoint of a single in-memory member, sent byte for byte (RawHttp):
// wrong methods, invalid percent-encoding and UTF-8 in keys, malformed JSON, absurd numbers,
// deep nesting, bad preconditions, and a seeded random fuzz of thousands of such requests.
// Invariants checked:
//  - kvdb answers every request it parses with a 4xx (or 2xx) and never a 5xx; each 4xx it
//    writes carries an RFC 7807 body (application/problem+json).
//  - Requests Kestrel rejects before kvdb's pipeline (oversized headers or request line, a
//    malformed Content-Length, an encoded NUL in the path) get Kestrel's bare 4xx with no body
//    and the connection closed; that is the only 4xx without problem details.
//  - Afterwards the member still answers /ping and a PUT/GET round trip.
// The fuzz prints its seed; KVDB_FUZZ_SEED=<seed> replays the same requests.
using System.Globalization;
using System.Net;
using System.Text;
using KvDb.Core.Commands;
using Xunit.Abstractions;

namespace KvDb.Tests.Api;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class BadInputTests(SingleMemberFixture fixture, ITestOutputHelper output) : IClassFixture<SingleMemberFixture>
{
    private const int FuzzRequests = 4000;
    private const int FuzzWorkers = 4;

    private KvdbCluster Cluster => fixture.Cluster;

    // Method, target, header lines and body (after a blank line), expected status.
    private static readonly (string Method, string Target, string HeadersAndBody, int Expected)[] AllCases =
    [
        ("PUT", "/ping", "", 405),
        ("PUT", "/v1/status", "", 405),
        ("PUT", "/v1/members", "", 405),
        ("PUT", "/internal/v1/read-index", "", 404),
        ("POST", "/v1/status", "", 405),
        ("DELETE", "/v1/log", "", 405),
        ("PATCH", "/some-key", "", 405),
        ("BREW", "/v1/kv/some-key", "", 405),
        ("POST", "/api", "", 405),
        ("PUT", "/bad%zzescape", "", 400),
        ("PUT", "/v1/kv/a/%2E%2E", "", 400),
        ("PUT", "/%2E", "", 400),
        ("POST", "/v1/txn", "\n\n{\"then\": [{\"put\": {\"key\": \"a\", \"value\": 5}}]}", 400),
        ("POST", "/v1/txn", "\n\n{\"if\": [{\"key\": \"a\", \"target\": \"version\", \"op\": \"<\", \"value\": 1e400}]}", 400),
        ("POST", "/v1/txn", "\n\n" + Nest("[", 3000, "", "]"), 400),
        ("POST", "/v1/txn", "If-Match: \"3\"\n\n{}", 400),
        ("POST", "/v1/leases", "\n\n{\"ttl\": 1e400}", 400),
        ("POST", "/v1/leases", "\n\n{\"ttl\": \"-5s\"}", 400),
        ("POST", "/v1/leases/18446744073709551617/keepalive", "", 400),
        ("DELETE", "/v1/leases/-3", "", 400),
        ("PUT", "/v1/kv/k?lease=0", "", 400),
        ("PUT", "/v1/kv/k?ttl=99999999999999999999s", "", 400),
        ("POST", "/v1/locks/a?timeout=-1s", "", 400),
        ("POST", "/v1/elections/a/campaign", "\n\n{\"value\": 5}", 400),
        ("PUT", "/v1/elections/a/proclaim", "\n\n{\"key\": \"x\"}", 400),
        ("PUT", "/v1/elections/a/proclaim", "\n\n{\"key\": \"x\", \"value\": \"v\", \"revision\": \"7\"}", 400),
        ("POST", "/v1/elections/a/campaign", "\n\n{\"value\": \"v\", \"lease\": \"7\"}", 400),
        ("POST", "/v1/txn", "\n\n{\"then\": [{\"range\": {\"prefix\": \"a\", \"limit\": \"5\"}}]}", 400),
        ("POST", "/v1/txn", "\n\n{\"then\": [{\"put\": {\"key\": \"a\", \"value\": \"v\", \"lease\": \"7\"}}]}", 400),
        ("POST", "/v1/lists/none/k", "\n\n{\"items\": [{\"value\": \"x\", \"timestamp\": \"soon\"}]}", 400),
        ("POST", "/v1/lists/none/k", "\n\n{\"items\": [{\"value\": \"x\", \"nonce\": 1e5}]}", 400),
        ("GET", "/v1/lists/none/k?continuation=zz", "", 400),
        ("PUT", "/truncated%4", "", 400),
        ("GET", "/not-utf8-%C0%AF", "", 400),
        ("PUT", "/v1/kv/lone-surrogate-%ED%A0%80", "", 400),
        ("GET", "/api/Strong?key=%FF", "", 400),
        ("GET", "/api/Strong?key=%zz", "", 400),
        ("DELETE", "/api?key=%E2%82", "", 400),
        ("GET", "/api/Strong?key=a&key=b", "", 400),
        ("GET", "/api/Sometimes?key=a", "", 400),
        ("GET", "/v1/kv?limit=-1", "", 400),
        ("GET", "/v1/kv?limit=18446744073709551617", "", 400),
        ("GET", "/v1/kv?limit=0", "", 400),
        ("GET", "/v1/kv?start=z&end=a", "", 400),
        ("GET", "/v1/kv?prefix=a&start=b", "", 400),
        ("GET", "/v1/kv?continuation=%%%", "", 400),
        ("GET", "/v1/kv?consistency=sometimes", "", 400),
        ("GET", "/v1/log?from=-5", "", 400),
        ("GET", "/v1/log?from=18446744073709551617", "", 400),
        ("GET", "/v1/log?limit=10001", "", 400),
        ("DELETE", "/18446744073709551617", "", 400),
        ("DELETE", "/v1/members/-1", "", 400),
        ("DELETE", "/v1/members/abc", "", 400),
        ("POST", "/0", "\n\nhttp://127.0.0.1:1", 400),
        ("POST", "/v1/members", "\n\n{\"id\": 18446744073709551617, \"peerUrl\": \"http://127.0.0.1:1\"}", 400),
        ("POST", "/v1/members", "\n\n{\"id\": 1e400, \"peerUrl\": \"http://127.0.0.1:1\"}", 400),
        ("POST", "/v1/members", "\n\n{\"id\": 4, \"peerUrl\": \"http://127.0.0.1:99999\"}", 400),
        ("POST", "/v1/members", "\n\n{\"id\": 4,", 400),
        ("PUT", "/api", "\n\n{\"key\": \"k\", \"value\": {\"UInt\": 18446744073709551616}}", 400),
        ("PUT", "/api", "\n\n{\"key\": \"k\", \"value\": {\"Int\": -9223372036854775809}}", 400),
        ("PUT", "/api", "\n\n{\"key\": \"k\", \"value\": {\"Float\": 1e400}}", 400),
        ("PUT", "/api", "\n\n{\"key\": \"k\", \"value\": {\"Str\": \"\\ud800\"}}", 400),
        ("PUT", "/api", "\n\n{\"key\": \"k\", \"value\": {\"Nope\": 1}}", 400),
        ("PUT", "/api", "\n\n{\"key\": \"k\", \"value\": " + Nest("{\"List\": [", 40, "{\"Int\": 1}", "]}") + "}", 400),
        ("PUT", "/api", "\n\n" + Nest("[", 3000, "", "]"), 400),
        ("POST", "/v1/members", "\n\n" + Nest("[", 5000, "", "]"), 413),
        ("PUT", "/api", "\n\n{\"key\": \"k\",", 400),
        ("PUT", "/v1/kv/k", "If-Match: \"99999999999999999999999\"", 400),
        ("PUT", "/v1/kv/k", "If-Match: \"1\", \"2\"", 400),
        ("PUT", "/v1/kv/k", "If-None-Match: \"5\"", 400),
        ("PUT", "/v1/kv/k", "If-Match: *\nIf-None-Match: *", 400),
        ("PUT", "/v1/kv/k", "Idempotency-Key: " + new string('i', 256), 400),
        ("DELETE", "/v1/kv/k", "Idempotency-Key: has space", 400),
        ("PUT", "/too-big", "\n\n" + new string('v', 1025), 413),
        ("POST", PeerPrefix + "/internal/v1/propose", "\n\nnot a batch", 400),
        ("POST", PeerPrefix + "/internal/v1/propose", "\n\n\u0001\0\0\0\0\0\0\0\u00c1", 400),

        // Member-to-member endpoints are not on the client port, whatever the method; the peer
        // port serves nothing else.
        ("POST", "/internal/v1/propose", "\n\nnot a batch", 404),
        ("POST", "/internal/v1/read-index", "", 404),
        ("GET", "/internal/v1/snapshots/1", "", 404),
        ("GET", PeerPrefix + "/ping", "", 404),
        ("PUT", PeerPrefix + "/some-key", "\n\nvalue", 404),
        ("GET", PeerPrefix + "/v1/kv/some-key", "", 404),
    ];

    // A target starting with this is sent to the member's peer port instead of its client port.
    private const string PeerPrefix = "peer:";

    public static TheoryData<int, string> Cases
    {
        get
        {
            var cases = new TheoryData<int, string>();
            for (var i = 0; i < AllCases.Length; i++)
                cases.Add(i, $"{AllCases[i].Method} {Shorten(AllCases[i].Target)} {Shorten(AllCases[i].HeadersAndBody.Replace('\n', ' '), 60)}");
            return cases;
        }
    }


    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_requests_get_a_4xx_with_problem_details(int index, string request)
    {
        var (method, target, headersAndBody, expected) = AllCases[index];
        var (headers, body) = Split(headersAndBody);
        output.WriteLine(request);
        var (status, head, text) = await SendAsync(method, target, headers, body);
        status.Should().Be(expected, "{0} {1} answered {2}", method, target, text);
        head.Should().Contain("Content-Type: application/problem+json", "{0} {1} answered {2}", method, target, head);
        text.Should().Contain("\"detail\":");
        await ShouldStillServeAsync();
    }

    [Theory]
    [InlineData("GET /ping HTTP/1.1\nHost: x\nX-Huge: {0}", 100_000, 431)]
    [InlineData("GET /{0} HTTP/1.1\nHost: x", 70_000, 414)]
    [InlineData("PUT /k HTTP/1.1\nHost: x\nContent-Length: 99999999999999999999{0}", 0, 400)]
    [InlineData("GET /v1/kv/%00{0} HTTP/1.1\nHost: x", 0, 400)]
    public async Task Requests_kestrel_rejects_get_its_bare_4xx_and_the_member_keeps_serving(string request, int filler, int expected)
    {
        var (status, head, body) = await RawHttp.SendAsync(Cluster.Url(1), string.Format(CultureInfo.InvariantCulture, request, new string('a', filler)) + "\nConnection: close\n");
        status.Should().Be(expected);
        body.Should().BeEmpty("Kestrel answers before kvdb's pipeline, without problem details (docs/design/guarantees.md says so)");
        head.Should().NotContain("Content-Type");
        await ShouldStillServeAsync();
    }

    [Fact]
    public async Task A_seeded_random_fuzz_of_every_endpoint_never_gets_a_5xx_or_a_4xx_without_problem_details()
    {
        var seed = Environment.GetEnvironmentVariable("KVDB_FUZZ_SEED") is { Length: > 0 } fixedSeed ? int.Parse(fixedSeed, CultureInfo.InvariantCulture) : Random.Shared.Next();
        output.WriteLine($"fuzz seed {seed} (replay with KVDB_FUZZ_SEED={seed})");
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var statuses = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
        var kestrelRejections = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var started = DateTime.UtcNow;

        await Task.WhenAll(Enumerable.Range(0, FuzzWorkers).Select(worker => Task.Run(async () =>
        {
            var random = new Random(seed + worker);
            for (var i = 0; i < FuzzRequests / FuzzWorkers && failures.Count < 10; i++)
            {
                var request = FuzzRequest.Next(random);
                int status;
                string head, body;
                try
                {
                    (status, head, body) = await SendAsync(request.Method, request.Target, request.Headers, request.Body);
                }
                catch (Exception e)
                {
                    failures.Enqueue($"{request}: no answer ({e.GetType().Name}: {e.Message})");
                    continue;
                }

                statuses.AddOrUpdate(status, 1, static (_, n) => n + 1);
                var problem = head.Contains("Content-Type: application/problem+json", StringComparison.OrdinalIgnoreCase);
                var bareKestrel = body.Length == 0 && !head.Contains("Content-Type", StringComparison.OrdinalIgnoreCase)
                    && head.Contains("Connection: close", StringComparison.OrdinalIgnoreCase) && status is 400 or 413 or 414 or 431;
                if (status >= 500)
                    failures.Enqueue($"{request}: {status} {Shorten(body)}");
                else if (status >= 400 && !problem && !bareKestrel)
                    failures.Enqueue($"{request}: {status} without problem details: {Shorten(head + "\n\n" + body)}");
                else if (bareKestrel)
                    kestrelRejections.Enqueue($"{status} for {request}");
            }
        })));

        output.WriteLine($"{FuzzRequests} requests in {(DateTime.UtcNow - started).TotalSeconds:F1}s; statuses: "
            + string.Join(", ", statuses.OrderBy(p => p.Key).Select(p => $"{p.Key} x{p.Value}")) + $"; {kestrelRejections.Count} bare Kestrel rejections, e.g.:\n  " + string.Join("\n  ", kestrelRejections.Take(5)));
        failures.Should().BeEmpty("seed {0} (replay with KVDB_FUZZ_SEED={0})\n{1}", seed, Cluster.Describe());
        Cluster.Member(1).IsRunning.Should().BeTrue("no input may crash the member");
        await ShouldStillServeAsync();
    }

    private async Task ShouldStillServeAsync()
    {
        (await Cluster.Client.GetStringAsync(new Uri(Cluster.Url(1), "ping"))).Should().Be("pong");
        var value = Guid.NewGuid().ToString("N");
        await Cluster.PutWithRetryAsync(1, "after-bad-input", value);
        (await Cluster.GetAsync(1, "after-bad-input")).Should().Be(value);
    }

    private Task<(int Status, string Head, string Body)> SendAsync(string method, string target, string headers, byte[] body)
    {
        var peer = target.StartsWith(PeerPrefix, StringComparison.Ordinal);
        target = peer ? target[PeerPrefix.Length..] : target;
        var head = new StringBuilder($"{method} {target} HTTP/1.1\nHost: 127.0.0.1\nConnection: close\n");
        foreach (var line in headers.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            head.Append(line).Append('\n');
        if (body.Length > 0 || method is "PUT" or "POST")
            head.Append("Content-Length: ").Append(body.Length).Append('\n');
        return RawHttp.SendAsync(peer ? new Uri(Cluster.PeerUrl(1)) : Cluster.Url(1), head.ToString(), body);
    }

    private static (string Headers, byte[] Body) Split(string headersAndBody)
    {
        var split = headersAndBody.IndexOf("\n\n", StringComparison.Ordinal);
        return split < 0 ? (headersAndBody, []) : (headersAndBody[..split], Encoding.UTF8.GetBytes(headersAndBody[(split + 2)..]));
    }

    private static string Nest(string open, int depth, string inner, string close)
        => string.Concat(Enumerable.Repeat(open, depth)) + inner + string.Concat(Enumerable.Repeat(close, depth));

    private static string Shorten(string text, int length = 300) => text.Length <= length ? text : text[..length] + "…";

    /// <summary>One random request: a method, a target, header lines and a body, drawn from kvdb's surface.</summary>
    private sealed record FuzzRequest(string Method, string Target, string Headers, byte[] Body)
    {
        private static readonly string[] Methods = ["GET", "GET", "GET", "HEAD", "PUT", "PUT", "PUT", "POST", "POST", "DELETE", "DELETE", "PATCH", "OPTIONS", "TRACE", "BREW", "get"];
        private static readonly string[] Consistencies = ["", "linearizable", "local", "strong", "eventual", "LOCAL", "bogus", "%00", "%FF"];
        private static readonly string[] Numbers = ["", "0", "1", "2", "-1", "100", "1000", "1001", "10000", "10001", "2147483648", "9223372036854775807", "9223372036854775808", "18446744073709551616", "1e3", "1.5", "0x10", "%205", "%2B5", "abc", "%FF"];
        private static readonly string[] Paths = ["/{key}", "/{key}", "/v1/kv/{key}", "/v1/kv/{key}", "/v1/kv", "/v1/log", "/v1/members", "/v1/members/{id}", "/{id}", "/api", "/api/Strong", "/api/Eventual/", "/api/{key}", "/ping", "/readyz", "/metrics", "/v1/status", "/internal/v1/propose", "/internal/v1/read-index", "/internal/v1/snapshots/{id}", "/", "/v1/", "/internal/", "/v1/txn", "/v1/txn", "/v1/leases", "/v1/leases/{id}", "/v1/leases/{id}/keepalive", "/v1/elections/{key}", "/v1/keyspaces/{key}", "/v1/lists/fuzz/{key}", "/v1/lists/{key}"];

        public static FuzzRequest Next(Random random)
        {
            var method = Pick(random, Methods);
            var path = Pick(random, Paths).Replace("{key}", Key(random)).Replace("{id}", Id(random, forDelete: method is "DELETE"));
            var query = random.Next(3) == 0 ? "" : "?" + string.Join('&', Enumerable.Range(0, random.Next(1, 4)).Select(_ => QueryParameter(random)));
            var headers = string.Join('\n', Enumerable.Range(0, random.Next(3)).Select(_ => Header(random)));
            return new FuzzRequest(method, path + query, headers, method is "GET" or "HEAD" && random.Next(4) != 0 ? [] : RandomBody(random));
        }

        private static string Key(Random random)
        {
            var key = new StringBuilder();
            for (var i = random.Next(0, 12); i >= 0; i--)
            {
                key.Append(random.Next(10) switch
                {
                    0 => "%" + random.Next(256).ToString("X2", CultureInfo.InvariantCulture),
                    1 => Pick(random, ["%zz", "%4", "%", "%C0%AF", "%ED%A0%80", "%F0%9F%98", "%E2%82%AC", "%2F", "%25", "+"]),
                    2 => Uri.EscapeDataString(Pick(random, ["ключ", "🔑", "é", " ", "/", "?", "#"])),
                    3 => "/",
                    _ => (char)random.Next('a', 'z' + 1),
                });
            }

            return random.Next(50) == 0 ? new string('k', 4097) : key.ToString();
        }

        // A DELETE never names member 1 (not even as %31): once the fuzz has recorded other
        // members, removing member 1 is legitimate and would shut the fuzz target down.
        private static string Id(Random random, bool forDelete)
        {
            var id = Pick(random, ["0", "-1", "2", "3", "7", "4294967296", "18446744073709551617", "abc", "1.5", "9" + new string('9', 30)]);
            return forDelete ? id : Pick(random, [id, "4", "5", "%31"]);
        }

        private static string QueryParameter(Random random) => Pick(random, ["limit", "from", "prefix", "start", "end", "continuation", "consistency", "key", "key", "x"]) switch
        {
            "consistency" => "consistency=" + Pick(random, Consistencies),
            "key" => "key=" + Key(random),
            "prefix" or "start" or "end" => $"{Pick(random, ["prefix", "start", "end"])}={Key(random)}",
            "continuation" => "continuation=" + Pick(random, ["", "%%%", "YQ", "enp6", "____", Convert.ToBase64String(Encoding.UTF8.GetBytes(Key(random)))]),
            var name => $"{name}={Pick(random, Numbers)}",
        };

        private static string Header(Random random) => random.Next(6) switch
        {
            0 => "If-Match: " + Pick(random, ["*", "\"1\"", "\"0\"", "\"-1\"", "W/\"1\"", "\"1\", \"2\"", "\"99999999999999999999\"", "1", "\"\"", "\"abc\""]),
            1 => "If-None-Match: " + Pick(random, ["*", "\"1\"", "\"3\"", "W/\"2\"", "\"\"", "nope"]),
            2 => "Idempotency-Key: " + Pick(random, ["k-" + random.Next(20), "", "has space", new string('i', 256), "\u00e9t\u00e9"]),
            3 => "Content-Type: " + Pick(random, ["application/json", "text/plain", "application/x-kvdb-batch", "application/octet-stream", "nonsense"]),
            4 => "Accept: " + Pick(random, ["text/html", "application/json", "*/*", "application/problem+json"]),
            _ => "X-Fuzz: " + random.Next(),
        };

        private static byte[] RandomBody(Random random)
        {
            switch (random.Next(10))
            {
                case 0:
                    return [];
                case 1:
                {
                    var bytes = new byte[random.Next(1, 2048)];
                    random.NextBytes(bytes);
                    return bytes;
                }

                case 2:
                {
                    // A forwarded batch that almost parses: the right version byte, then noise.
                    var bytes = new byte[random.Next(9, 64)];
                    random.NextBytes(bytes);
                    bytes[0] = LogEntryCodec.CurrentVersion;
                    return bytes;
                }

                case 3:
                    return LogEntryCodec.Encode([new PutCommand { Key = Encoding.UTF8.GetBytes("fuzz-" + random.Next(50)), Value = [1, 2, 3] }], 0);
                case 4:
                    return Encoding.UTF8.GetBytes(Nest(Pick(random, ["[", "{\"a\":", "{\"List\":["]), random.Next(1, 3000), "1", "]"));
                case 5:
                    return new byte[random.Next(1000, 3000)];
                default:
                    return Encoding.UTF8.GetBytes(Pick(random,
                    [
                        "{\"key\": \"fuzz\", \"value\": {\"Str\": \"s\"}}",
                        "{\"key\": \"fuzz\", \"value\": {\"UInt\": 18446744073709551616}}",
                        "{\"key\": \"fuzz\", \"value\": {\"Float\": 1e999}}",
                        "{\"key\": \"fuzz\", \"value\": {\"Map\": [[{\"Str\": \"a\"}, {\"Int\": 1}]]}}",
                        "{\"key\": \"\", \"value\": {\"Str\": \"s\"}}",
                        "{\"key\": \"fuzz\"",
                        "{\"id\": 4, \"peerUrl\": \"http://127.0.0.1:1\"}",
                        "{\"id\": -4, \"peerUrl\": \"ftp://x\"}",
                        "{\"id\": 18446744073709551617, \"peerUrl\": \"http://127.0.0.1:1\"}",
                        "http://127.0.0.1:1",
                        "http://[::1",
                        "null",
                        "\"just a string\"",
                        "\ud83d\udd11 raw",
                    ]));
            }
        }

        private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

        public override string ToString()
            => $"{Method} {(Target.Length > 200 ? Target[..200] + "…" : Target)} [{Headers.Replace('\n', ';')}] body {Body.Length} bytes";
    }
}
