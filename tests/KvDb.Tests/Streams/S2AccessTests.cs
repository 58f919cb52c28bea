// S2's API under kvdb's auth, as an attacker with a narrow grant sees it: alice may read and
// write "team-basin/", bob only read it. Neither reaches another basin's streams through any
// S2 endpoint (listing, config, append, read, create, delete), a kvdb token works as S2's
// bearer token, and a Server-Sent Events reader ends with an error event when its access goes.
// Refusals the auth gate makes before S2's handlers (401, root-only 403) carry S2's `code` too.
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace KvDb.Tests.Streams;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class S2AccessTests : IAsyncLifetime
{
    private static readonly AuthenticationHeaderValue Root = Basic("root", "rootpw");
    private static readonly AuthenticationHeaderValue Bob = Basic("bob", "bobpw");
    private KvdbCluster cluster = null!;
    private AuthenticationHeaderValue alice = null!;

    public async Task InitializeAsync()
    {
        cluster = await KvdbCluster.StartAsync(1, "--in-memory");
        await cluster.WaitForLeaderAsync();
        foreach (var basin in new[] { "team-basin", "other-basin" })
        {
            await ExpectAsync(HttpStatusCode.Created, null, "POST", "/v1/basins", $$"""{"basin": "{{basin}}"}""");
            await ExpectAsync(HttpStatusCode.Created, null, "POST", "/v1/streams", """{"stream": "s"}""", basin);
            await ExpectAsync(HttpStatusCode.OK, null, "POST", "/v1/streams/s/records", """{"records": [{"body": "secret"}]}""", basin);
        }

        await ExpectAsync(HttpStatusCode.Created, null, "POST", "/v1/auth/roles", """{"name": "team", "permissions": [{"prefix": "team-basin/", "access": "readwrite"}]}""");
        await ExpectAsync(HttpStatusCode.Created, null, "POST", "/v1/auth/roles", """{"name": "reader", "permissions": [{"prefix": "team-basin/", "access": "read"}]}""");
        await ExpectAsync(HttpStatusCode.Created, null, "POST", "/v1/auth/users", """{"name": "root", "password": "rootpw"}""");
        await ExpectAsync(HttpStatusCode.Created, null, "POST", "/v1/auth/users", """{"name": "alice", "password": "alicepw", "roles": ["team"]}""");
        await ExpectAsync(HttpStatusCode.Created, null, "POST", "/v1/auth/users", """{"name": "bob", "password": "bobpw", "roles": ["reader"]}""");
        await ExpectAsync(HttpStatusCode.OK, null, "POST", "/v1/auth/enable");
        var token = JsonDocument.Parse(await ExpectAsync(HttpStatusCode.OK, null, "POST", "/v1/auth/token", """{"name": "alice", "password": "alicepw"}""")).RootElement.GetProperty("token").GetString();
        alice = new AuthenticationHeaderValue("Bearer", token);
    }

    public async Task DisposeAsync() => await cluster.DisposeAsync();

    private static AuthenticationHeaderValue Basic(string user, string password) => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(AuthenticationHeaderValue? auth, string method, string path, string? body = null, string? basin = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(cluster.Url(1), path.TrimStart('/')));
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        if (basin is not null)
            request.Headers.Add("s2-basin", basin);
        request.Headers.Authorization = auth;
        using var response = await cluster.Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<string> ExpectAsync(HttpStatusCode expected, AuthenticationHeaderValue? auth, string method, string path, string? body = null, string? basin = null)
    {
        var (status, text) = await SendAsync(auth, method, path, body, basin);
        status.Should().Be(expected, $"{method} {path} in {basin ?? "no basin"} as {auth?.Scheme ?? "nobody"} answered: {text}");
        return text;
    }

    [Fact]
    public async Task A_narrow_grant_reaches_its_own_basin_and_nothing_of_another()
    {
        var basins = await ExpectAsync(HttpStatusCode.OK, alice, "GET", "/v1/basins");
        JsonDocument.Parse(basins).RootElement.GetProperty("basins").EnumerateArray().Select(b => b.GetProperty("name").GetString()).Should().Equal("team-basin");
        await ExpectAsync(HttpStatusCode.OK, alice, "GET", "/v1/basins/team-basin");
        await ExpectAsync(HttpStatusCode.OK, alice, "POST", "/v1/streams/s/records", """{"records": [{"body": "mine"}]}""", "team-basin");
        await ExpectAsync(HttpStatusCode.OK, alice, "GET", "/v1/streams/s/records?seq_num=0", basin: "team-basin");

        var denied = new (string Method, string Path, string? Body)[]
        {
            ("GET", "/v1/basins/other-basin", null),
            ("GET", "/v1/streams/s", null),
            ("GET", "/v1/streams/s/records?seq_num=0", null),
            ("GET", "/v1/streams/s/records/tail", null),
            ("POST", "/v1/streams/s/records", """{"records": [{"body": "injected"}]}"""),
            ("POST", "/v1/streams", """{"stream": "planted"}"""),
            ("PUT", "/v1/streams/s", """{"timestamping": {"mode": "arrival"}}"""),
            ("PATCH", "/v1/streams/s", """{"timestamping": {"mode": "arrival"}}"""),
            ("DELETE", "/v1/streams/s", null),
        };
        foreach (var (method, path, body) in denied)
        {
            var text = await ExpectAsync(HttpStatusCode.Forbidden, alice, method, path, body, "other-basin");
            JsonDocument.Parse(text).RootElement.GetProperty("code").GetString().Should().Be("permission_denied", $"{method} {path}");
        }

        JsonDocument.Parse(await ExpectAsync(HttpStatusCode.OK, alice, "GET", "/v1/streams", basin: "other-basin")).RootElement.GetProperty("streams").GetArrayLength().Should().Be(0);
        // Root-only routes are refused by the auth gate, before S2's handlers run: still S2's code.
        foreach (var (method, path, body) in new (string, string, string?)[] { ("POST", "/v1/basins", """{"basin": "alices-basin"}"""), ("PUT", "/v1/basins/other-basin", ""), ("DELETE", "/v1/basins/other-basin", null) })
            ExpectS2Code(await ExpectAsync(HttpStatusCode.Forbidden, alice, method, path, body), "permission_denied", $"{method} {path}");
        await ExpectAsync(HttpStatusCode.Unauthorized, null, "GET", "/v1/streams/s/records?seq_num=0", basin: "team-basin");

        await ExpectAsync(HttpStatusCode.OK, Bob, "GET", "/v1/streams/s/records?seq_num=0", basin: "team-basin");
        await ExpectAsync(HttpStatusCode.Forbidden, Bob, "POST", "/v1/streams/s/records", """{"records": [{"body": "x"}]}""", "team-basin");
        await ExpectAsync(HttpStatusCode.Forbidden, Bob, "DELETE", "/v1/streams/s", basin: "team-basin");

        var other = await ExpectAsync(HttpStatusCode.OK, Root, "GET", "/v1/streams/s/records?seq_num=0", basin: "other-basin");
        JsonDocument.Parse(other).RootElement.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("body").GetString()).Should().Equal("secret");
        JsonDocument.Parse(await ExpectAsync(HttpStatusCode.OK, Root, "GET", "/v1/streams", basin: "other-basin")).RootElement.GetProperty("streams").GetArrayLength().Should().Be(1, "nothing was planted");
    }

    // S2's SDK and CLI tell a bad token from a missing permission by `code` (authn, permission_denied).
    [Fact]
    public async Task Refusals_before_the_handler_carry_S2s_code_on_S2_routes_only()
    {
        var forged = new AuthenticationHeaderValue("Bearer", "not-a-token");
        foreach (var auth in new[] { null, forged, Basic("alice", "wrong") })
        {
            foreach (var (method, path) in new[] { ("GET", "/v1/basins"), ("GET", "/v1/streams"), ("POST", "/v1/streams/s/records"), ("GET", "/v1/streams/s/records/tail"), ("GET", "/v1/access-tokens") })
                ExpectS2Code(await ExpectAsync(HttpStatusCode.Unauthorized, auth, method, path, method == "POST" ? """{"records": [{"body": "x"}]}""" : null, "team-basin"), "authn", $"{method} {path} as {auth?.Parameter ?? "nobody"}");
        }

        // Other APIs keep kvdb's plain problems: the gate does not know S2.
        var plain = JsonDocument.Parse(await ExpectAsync(HttpStatusCode.Unauthorized, forged, "GET", "/v1/kv/team-basin/s")).RootElement;
        plain.TryGetProperty("code", out _).Should().BeFalse(plain.ToString());
        plain.GetProperty("status").GetInt32().Should().Be(401);
        var members = JsonDocument.Parse(await ExpectAsync(HttpStatusCode.Forbidden, alice, "POST", "/v1/auth/users", """{"name": "eve", "password": "evepw"}""")).RootElement;
        members.TryGetProperty("code", out _).Should().BeFalse(members.ToString());
    }

    private static void ExpectS2Code(string body, string code, string what)
    {
        var json = JsonDocument.Parse(body).RootElement;
        json.GetProperty("code").GetString().Should().Be(code, $"{what} answered {body}");
        json.GetProperty("message").GetString().Should().NotBeNullOrEmpty(what).And.Be(json.GetProperty("detail").GetString(), what);
    }

    [Fact]
    public async Task A_followed_stream_ends_with_an_error_event_when_access_is_revoked()
    {
        using var client = cluster.NewClient(TimeSpan.FromMinutes(2));
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(cluster.Url(1), "v1/streams/s/records?seq_num=0"));
        request.Headers.Add("s2-basin", "team-basin");
        request.Headers.Add("Accept", "text/event-stream");
        request.Headers.Authorization = alice;
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var lines = new List<string>();
        while (await reader.ReadLineAsync() is { } line && line != "event: ping")
            lines.Add(line);

        await ExpectAsync(HttpStatusCode.NoContent, Root, "DELETE", "/v1/auth/users/alice/roles/team");
        await ExpectAsync(HttpStatusCode.OK, Root, "POST", "/v1/streams/s/records", """{"records": [{"body": "after revocation"}]}""", "team-basin");
        while (await reader.ReadLineAsync() is { } line)
            lines.Add(line);

        lines.Should().Contain("event: error", $"the stream said:\n{string.Join('\n', lines)}");
        lines.Should().NotContain(l => l.Contains("after revocation", StringComparison.Ordinal));
    }
}
