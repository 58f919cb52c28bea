// What the route fuzz (RouteFuzzTests) found, one request each, sent byte for byte to one
// member: each answered a 5xx, or an error without problem details, before its fix.
//  - A JSON string that is not text (invalid UTF-8 bytes, an unpaired surrogate escape such as
//    "\ud800"): JsonDocument accepts it, JsonElement.GetString throws, and the auth and election
//    endpoints answered 500 (the token endpoint to anyone, without credentials).
//  - A duration of "NaN": double.TryParse accepts it and TimeSpan.FromMilliseconds throws, so
//    every duration parameter (lock and campaign timeouts, TTLs, waits, watch progress) was a 500.
//  - GET /openapi/{other}.json answered ASP.NET Core's text/plain 404.
//  - A body that ends (the client half-closes) before its Content-Length, while the handler reads
//    it: Kestrel's BadHttpRequestException reached ASP.NET Core's handler as an unhandled
//    exception, logged at error level with a stack trace, by any client (the token endpoint too).
//  - An error ASP.NET Core answers with an empty body (a static file's 412) was text/plain when
//    the client's Accept did not include JSON. (kvdb's own errors, like the 405 of POST
//    /v1/status from the /{key} catch-all, never were; that case guards them.)
using System.Text;
using System.Text.Json;
using KvDb.Tests.Api;

namespace KvDb.Tests.Security;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class FuzzRegressionTests(SingleMemberFixture fixture) : IClassFixture<SingleMemberFixture>
{
    private KvdbCluster Cluster => fixture.Cluster;

    // Method, target, extra header lines, body (with \xNN for raw bytes), expected status.
    public static TheoryData<string, string, string, string, int> Cases => new()
    {
        { "POST", "/v1/auth/token", "", """{"name": "\ud800", "password": "x"}""", 400 },
        { "POST", "/v1/auth/token", "", "{\"name\": \"a\\xFF\", \"password\": \"x\"}", 400 },
        { "POST", "/v1/auth/roles", "", "{\"name\": \"r\\xFF\", \"permissions\": []}", 400 },
        { "POST", "/v1/auth/users", "", """{"name": "u", "password": "\udc00"}""", 400 },
        { "POST", "/v1/elections/e/resign", "", """{"key": "\ud800"}""", 400 },
        { "POST", "/v1/elections/e/resign", "", "{\"key\": \"_elections/e/\\xFF\"}", 400 },
        { "POST", "/v1/elections/e/campaign?timeout=1s", "", """{"value": "\udc00"}""", 400 },
        { "PUT", "/v1/elections/e/proclaim", "", """{"key": "_elections/e/1", "revision": 1, "value": "\ud800"}""", 400 },
        { "POST", "/v1/locks/l?timeout=NaN", "", "", 400 },
        { "POST", "/v1/locks/l?ttl=NaN", "", "", 400 },
        { "PUT", "/v1/kv/k?ttl=NaN", "", "v", 400 },
        { "POST", "/v1/leases", "", """{"ttl": "NaN"}""", 400 },
        { "GET", "/v1/kv/k?index=1&wait=NaN", "", "", 400 },
        { "GET", "/v1/watch?prefix=a&progress=NaNms", "", "", 400 },
        { "GET", "/openapi/v2.json", "", "", 404 },
        { "GET", "/openapi/...json", "", "", 404 },
        { "GET", "/scalar/favicon.svg", "Accept: text/html\nIf-Match: \"0\"", "", 412 },
        { "POST", "/v1/status", "Accept: text/html", "", 405 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_request_the_fuzz_found_gets_a_4xx_with_problem_details(string method, string target, string headers, string body, int expected)
    {
        var request = new RawHttpExchange.Request(
            method,
            target,
            [.. headers.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(static h => new KeyValuePair<string, string>(h[..h.IndexOf(':', StringComparison.Ordinal)], h[(h.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim()))],
            body.Length == 0 && method is "GET" ? null : Bytes(body),
            null,
            false,
            TimeSpan.FromSeconds(30),
            TimeSpan.FromSeconds(1));

        var response = await RawHttpExchange.SendAsync(Cluster.Url(1), request);

        response.Status.Should().Be(expected, "{0} {1} answered {2}", method, target, response.BodyText);
        response.MediaType.Should().Be("application/problem+json", "{0} {1} answered {2}", method, target, response.BodyText);
        using var problem = JsonDocument.Parse(response.Body);
        problem.RootElement.GetProperty("status").GetInt32().Should().Be(expected);
        problem.RootElement.GetProperty("title").GetString().Should().NotBeNullOrWhiteSpace();
        Cluster.Member(1).IsRunning.Should().BeTrue();
    }

    [Theory]
    [InlineData("PUT", "/api")]
    [InlineData("PUT", "/v1/kv/truncated")]
    [InlineData("POST", "/v1/auth/token")]
    public async Task A_body_that_ends_before_its_Content_Length_is_a_4xx_and_no_unhandled_exception(string method, string target)
    {
        var logged = Cluster.Member(1).Output.Length;
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(Cluster.Url(1).Host, Cluster.Url(1).Port);
        var stream = tcp.GetStream();

        // Expect: 100-continue makes Kestrel say when the handler starts reading the body; the body
        // then ends (the client half-closes) 990 bytes before its declared length.
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{method} {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 1000\r\n\r\n"));
        var answer = new StringBuilder();
        var buffer = new byte[4096];
        using (var waiting = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while (!answer.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, waiting.Token);
                read.Should().BePositive("the member answers 100 Continue once the handler reads");
                answer.Append(Encoding.Latin1.GetString(buffer, 0, read));
            }
        }

        answer.ToString().Should().StartWith("HTTP/1.1 100 ");
        answer.Clear();
        await stream.WriteAsync("{\"key\": \"a"u8.ToArray());
        tcp.Client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        try
        {
            using var reading = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            int read;
            while ((read = await stream.ReadAsync(buffer, reading.Token)) > 0)
                answer.Append(Encoding.Latin1.GetString(buffer, 0, read));
        }
        catch (IOException)
        {
            // Kestrel may reset the connection of a request whose body was cut short.
        }

        if (answer.Length > 0)
        {
            answer.ToString().Should().StartWith("HTTP/1.1 400 ").And.Contain("application/problem+json");
        }

        // Whatever the client saw, the member must not log it as an unhandled exception. Log lines
        // come in order: once a later request's line is there, an error line would be too.
        (await Cluster.Client.GetAsync(new Uri(Cluster.Url(1), "v1/snapshot"))).Dispose();
        await Cluster.Member(1).WaitForOutputAsync("Served a snapshot");
        await Eventually.WaitUntilAsync(
            () => Cluster.Member(1).Output.LastIndexOf("Served a snapshot", StringComparison.Ordinal) > logged,
            "the member to log the snapshot request after the cut-off one",
            state: () => Cluster.Member(1).Output[logged..]);
        Cluster.Member(1).Output[logged..].Should().NotContain("An unhandled exception", "a body cut short is the client's mistake, not a bug to log with a stack trace");
    }

    // "\xNN" in a case's body is the raw byte NN (not UTF-8 text); everything else is UTF-8.
    private static byte[] Bytes(string body)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < body.Length; i++)
        {
            if (body[i] == '\\' && i + 3 < body.Length && body[i + 1] == 'x')
            {
                bytes.Add(Convert.ToByte(body.Substring(i + 2, 2), 16));
                i += 3;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(body[i].ToString()));
            }
        }

        return [.. bytes];
    }
}

/// <summary>The parsing half of the NaN finding, without a member.</summary>
public sealed class FuzzRegressionParsingTests
{
    [Theory]
    [InlineData("NaN")]
    [InlineData("NaNs")]
    [InlineData("nanms")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("∞h")]
    public void A_duration_that_is_not_a_finite_number_does_not_parse(string text)
        => KvDb.Flags.Duration.TryParse(text, out _).Should().BeFalse();
}
