// What the route fuzz (RouteFuzzTests) found, one request each, sent byte for byte to one
// member: each answered a 5xx, or an error without problem details, before its fix.
//  - A JSON string that is not text (invalid UTF-8 bytes, an unpaired surrogate escape such as
//    "\ud800"): JsonDocument accepts it, JsonElement.GetString throws, and the auth and election
//    endpoints answered 500 (the token endpoint to anyone, without credentials).
//  - A duration of "NaN": double.TryParse accepts it and TimeSpan.FromMilliseconds throws, so
//    every duration parameter (lock and campaign timeouts, TTLs, waits, watch progress) was a 500.
//  - GET /openapi/{other}.json answered ASP.NET Core's text/plain 404.
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
