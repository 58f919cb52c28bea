// The cluster issue 26's auditor attacked, shared by the Security attack tests: three members
// with auth on and the users the issue names:
//   root   the root role;
//   mal    readwrite on pub/, _locks/m/ and _elections/m/;
//   wuser  write-only on drop/ and _locks/w/ (no read anywhere).
// Keyspaces "pub", "drop" and "secretks" exist (created by root before auth went on).
// Requests are sent as one of them with Basic credentials, to the member the test names, so an
// attack can run through a follower whose state lags the member the victim used.
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace KvDb.Tests.Security;

/// <summary>Three members with auth on and the users root, mal and wuser.</summary>
public sealed class AttackerClusterFixture : IAsyncLifetime
{
    public KvdbCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await KvdbCluster.StartAsync(3, "--in-memory");
        await Cluster.WaitForLeaderAsync();
        var setup = new AttackerClient(Cluster);
        foreach (var keyspace in new[] { "pub", "drop", "secretks" })
            await setup.ExpectAsync(HttpStatusCode.Created, 1, null, "PUT", $"/v1/keyspaces/{keyspace}");
        await setup.ExpectAsync(HttpStatusCode.Created, 1, null, "POST", "/v1/auth/roles",
            """{"name": "mal-role", "permissions": [{"prefix": "pub/", "access": "readwrite"}, {"prefix": "_locks/m/", "access": "readwrite"}, {"prefix": "_elections/m/", "access": "readwrite"}]}""");
        await setup.ExpectAsync(HttpStatusCode.Created, 1, null, "POST", "/v1/auth/roles",
            """{"name": "drop-role", "permissions": [{"prefix": "drop/", "access": "write"}, {"prefix": "_locks/w/", "access": "write"}]}""");
        await setup.ExpectAsync(HttpStatusCode.Created, 1, null, "POST", "/v1/auth/users", """{"name": "root", "password": "rootpw"}""");
        await setup.ExpectAsync(HttpStatusCode.Created, 1, null, "POST", "/v1/auth/users", """{"name": "mal", "password": "malpw", "roles": ["mal-role"]}""");
        await setup.ExpectAsync(HttpStatusCode.Created, 1, null, "POST", "/v1/auth/users", """{"name": "wuser", "password": "wuserpw", "roles": ["drop-role"]}""");
        await setup.ExpectAsync(HttpStatusCode.OK, 1, null, "POST", "/v1/auth/enable");

        // Every member must know the users before a test talks to it.
        foreach (var member in new[] { 1, 2, 3 })
        {
            await Eventually.WaitUntilAsync(async () =>
            {
                using var answer = await setup.SendAsync(member, AttackerClient.Mal, "GET", "/v1/kv/pub/none");
                return answer.StatusCode == HttpStatusCode.NotFound;
            }, $"member {member} to know user mal", KvdbCluster.Patience, Cluster.Describe);
        }
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>Sends requests as root, mal or wuser.</summary>
public sealed class AttackerClient(KvdbCluster cluster)
{
    public static readonly AuthenticationHeaderValue Root = Basic("root", "rootpw");
    public static readonly AuthenticationHeaderValue Mal = Basic("mal", "malpw");
    public static readonly AuthenticationHeaderValue WUser = Basic("wuser", "wuserpw");

    private static AuthenticationHeaderValue Basic(string user, string password)
        => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    /// <summary>Sends <paramref name="method"/> <paramref name="path"/> to <paramref name="member"/> as <paramref name="auth"/> (null: nobody).</summary>
    public async Task<HttpResponseMessage> SendAsync(int member, AuthenticationHeaderValue? auth, string method, string path, string? body = null, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(cluster.Url(member), path.TrimStart('/')));
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, body.StartsWith('{') ? "application/json" : "text/plain");
        request.Headers.Authorization = auth;
        foreach (var (name, value) in headers)
            request.Headers.TryAddWithoutValidation(name, value);
        return await cluster.Client.SendAsync(request);
    }

    /// <summary>Sends the request and checks its status; the body, for the test to read.</summary>
    public async Task<string> ExpectAsync(HttpStatusCode expected, int member, AuthenticationHeaderValue? auth, string method, string path, string? body = null, params (string Name, string Value)[] headers)
    {
        using var response = await SendAsync(member, auth, method, path, body, headers);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(expected, $"{method} {path} as {auth?.Parameter ?? "nobody"} on member {member} answered: {text}");
        return text;
    }

    /// <summary>Sends the request, expects 2xx, and parses the JSON answer.</summary>
    public async Task<JsonElement> JsonAsync(int member, AuthenticationHeaderValue? auth, string method, string path, string? body = null)
    {
        using var response = await SendAsync(member, auth, method, path, body);
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.Should().BeTrue($"{method} {path} answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Grants a lease of <paramref name="ttl"/> as <paramref name="auth"/>; its id.</summary>
    public async Task<long> GrantAsync(int member, AuthenticationHeaderValue auth, string ttl = "60s")
        => (await JsonAsync(member, auth, "POST", "/v1/leases", $$"""{"ttl": "{{ttl}}"}""")).GetProperty("id").GetInt64();

    /// <summary>The JSON of <paramref name="response"/>, whatever its status.</summary>
    public static async Task<JsonElement> BodyOf(HttpResponseMessage response)
        => (await response.Content.ReadFromJsonAsync<JsonElement>()).Clone();
}
