// Auth on a running member: the walk-through works without credentials until auth is enabled,
// then every route answers by its rule (401 without credentials, 403 without permission,
// neither with it), tokens work and are revoked by a password change, bad credentials of
// every kind get 401 problem details (never 5xx), and failed logins are rate limited.
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace KvDb.Tests.Auth;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class AuthClusterTests : IAsyncLifetime
{
    private KvdbCluster cluster = null!;

    public async Task InitializeAsync() => cluster = await KvdbCluster.StartAsync(1, "--in-memory");

    public async Task DisposeAsync() => await cluster.DisposeAsync();

    private HttpClient Client => cluster.Client;

    private static AuthenticationHeaderValue Basic(string user, string password)
        => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    private async Task<HttpResponseMessage> SendAsync(string method, string path, string? body = null, AuthenticationHeaderValue? auth = null, string? basin = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(cluster.Url(1), path.TrimStart('/')));
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, body.StartsWith('{') ? "application/json" : "text/plain");
        request.Headers.Authorization = auth;
        if (basin is not null)
            request.Headers.Add("s2-basin", basin);

        // Headers only: a watch streams until the client leaves (disposing the response).
        return await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private async Task ExpectAsync(HttpStatusCode expected, string method, string path, string? body = null, AuthenticationHeaderValue? auth = null)
    {
        using var response = await SendAsync(method, path, body, auth);
        response.StatusCode.Should().Be(expected, $"{method} {path}: {await response.Content.ReadAsStringAsync()}");
    }

    private async Task SetUpUsersAndEnableAsync()
    {
        await ExpectAsync(HttpStatusCode.Created, "POST", "/v1/auth/roles", """{"name": "rw", "permissions": [{"prefix": "pub/", "access": "readwrite"}, {"prefix": "pub-basin/", "access": "readwrite"}, {"prefix": "_locks/pub/", "access": "readwrite"}, {"prefix": "_elections/pub/", "access": "readwrite"}]}""");
        await ExpectAsync(HttpStatusCode.Created, "POST", "/v1/auth/roles", """{"name": "reader", "permissions": [{"prefix": "pub/", "access": "read"}]}""");
        await ExpectAsync(HttpStatusCode.Created, "POST", "/v1/auth/users", """{"name": "root", "password": "rootpw"}""");
        await ExpectAsync(HttpStatusCode.Created, "POST", "/v1/auth/users", """{"name": "writer", "password": "writerpw", "roles": ["rw"]}""");
        await ExpectAsync(HttpStatusCode.Created, "POST", "/v1/auth/users", """{"name": "ann", "password": "annpw", "roles": ["reader"]}""");
        await ExpectAsync(HttpStatusCode.Created, "POST", "/v1/auth/users", """{"name": "nobody", "password": "nobodypw"}""");
        await ExpectAsync(HttpStatusCode.OK, "POST", "/v1/auth/enable");
    }

    [Fact]
    public async Task Enabling_auth_makes_the_walk_through_require_credentials()
    {
        (await cluster.PutAsync(1, "my-key", "hello")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        await ExpectAsync(HttpStatusCode.Conflict, "POST", "/v1/auth/enable");

        await SetUpUsersAndEnableAsync();

        using (var anonymous = await cluster.PutAsync(1, "my-key", "bye"))
        {
            anonymous.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            anonymous.Headers.WwwAuthenticate.Should().NotBeEmpty();
            anonymous.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        }

        await ExpectAsync(HttpStatusCode.Unauthorized, "GET", "/my-key");
        await ExpectAsync(HttpStatusCode.NoContent, "PUT", "/my-key", "bye", Basic("root", "rootpw"));
        await ExpectAsync(HttpStatusCode.OK, "GET", "/my-key", auth: Basic("root", "rootpw"));
        await ExpectAsync(HttpStatusCode.OK, "GET", "/ping");

        await ExpectAsync(HttpStatusCode.OK, "POST", "/v1/auth/disable", auth: Basic("root", "rootpw"));
        await ExpectAsync(HttpStatusCode.OK, "GET", "/my-key");
    }

    [Fact]
    public async Task Every_route_answers_by_its_rule()
    {
        await SetUpUsersAndEnableAsync();
        await ExpectAsync(HttpStatusCode.NoContent, "PUT", "/pub/a", "1", Basic("writer", "writerpw"));

        var root = Basic("root", "rootpw");
        var writer = Basic("writer", "writerpw");
        var nobody = Basic("nobody", "nobodypw");
        foreach (var @case in RouteTable.Cases)
        {
            var method = @case.Method == "*" ? "GET" : @case.Method;
            using (var anonymous = await SendAsync(method, @case.Path, @case.Body, basin: @case.Basin))
            {
                var status = (int)anonymous.StatusCode;
                switch (@case.Rule)
                {
                    case AccessRule.Open or AccessRule.Probe:
                        status.Should().NotBe(401, $"{@case} is open");
                        break;
                    case AccessRule.Peer:
                        status.Should().Be(404, $"{@case} is served on the peer port only");
                        break;
                    default:
                        status.Should().Be(401, $"{@case} needs credentials");
                        break;
                }
            }

            if (@case.Rule is AccessRule.Root or AccessRule.Keys)
            {
                using var denied = await SendAsync(method, @case.Path, @case.Body, nobody, @case.Basin);
                var problem = denied.StatusCode == HttpStatusCode.OK ? "(streaming)" : await denied.Content.ReadAsStringAsync();
                ((int)denied.StatusCode).Should().Be(403, $"{@case} as a user without a role: {problem}");
                denied.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
            }

            if (@case.Rule is not AccessRule.Peer && @case.Path != "/v1/auth/disable")
            {
                using var allowed = await SendAsync(method, @case.Path, @case.Body, @case.Rule is AccessRule.Keys ? writer : root, @case.Basin);
                var status = (int)allowed.StatusCode;
                var problem = status is 401 or 403 or >= 500 ? await allowed.Content.ReadAsStringAsync() : "";
                if (@case.NotImplemented)
                    status.Should().Be(501, $"{@case} with permission: {problem}");
                else
                    status.Should().NotBe(401).And.NotBe(403).And.BeLessThan(500, $"{@case} with permission: {problem}");
            }
        }
    }

    [Fact]
    public async Task Permissions_follow_key_prefixes_and_ranges_are_all_or_nothing()
    {
        await SetUpUsersAndEnableAsync();
        var ann = Basic("ann", "annpw");
        await ExpectAsync(HttpStatusCode.NoContent, "PUT", "/v1/kv/pub/x", "1", Basic("writer", "writerpw"));

        await ExpectAsync(HttpStatusCode.OK, "GET", "/v1/kv/pub/x", auth: ann);
        await ExpectAsync(HttpStatusCode.Forbidden, "PUT", "/v1/kv/pub/x", "2", ann);
        await ExpectAsync(HttpStatusCode.Forbidden, "GET", "/v1/kv/private", auth: ann);
        await ExpectAsync(HttpStatusCode.OK, "GET", "/v1/kv?prefix=pub/", auth: ann);
        await ExpectAsync(HttpStatusCode.OK, "GET", "/v1/kv?start=pub/a&end=pub/z", auth: ann);
        await ExpectAsync(HttpStatusCode.Forbidden, "GET", "/v1/kv?prefix=pu", auth: ann);
        await ExpectAsync(HttpStatusCode.Forbidden, "GET", "/v1/kv", auth: ann);
        await ExpectAsync(HttpStatusCode.Forbidden, "GET", "/v1/log", auth: ann);
    }

    [Fact]
    public async Task Tokens_authenticate_until_the_password_changes()
    {
        await SetUpUsersAndEnableAsync();
        using var issued = await SendAsync("POST", "/v1/auth/token", """{"name": "ann", "password": "annpw"}""");
        issued.StatusCode.Should().Be(HttpStatusCode.OK);
        var token = JsonDocument.Parse(await issued.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
        var bearer = new AuthenticationHeaderValue("Bearer", token);

        await ExpectAsync(HttpStatusCode.NotFound, "GET", "/v1/kv/pub/missing", auth: bearer);
        await ExpectAsync(HttpStatusCode.Forbidden, "PUT", "/v1/auth/users/writer/password", """{"password": "x"}""", bearer);
        await ExpectAsync(HttpStatusCode.NoContent, "PUT", "/v1/auth/users/ann/password", """{"password": "annpw2", "currentPassword": "annpw"}""", bearer);

        await ExpectAsync(HttpStatusCode.Unauthorized, "GET", "/v1/kv/pub/missing", auth: bearer);
        await ExpectAsync(HttpStatusCode.Unauthorized, "GET", "/v1/kv/pub/missing", auth: Basic("ann", "annpw"));
        await ExpectAsync(HttpStatusCode.NotFound, "GET", "/v1/kv/pub/missing", auth: Basic("ann", "annpw2"));
    }

    [Theory]
    [InlineData("Basic", "!!!not-base64")]
    [InlineData("Basic", "bm9jb2xvbg==")]
    [InlineData("Basic", "//79/Q==")]
    [InlineData("Bearer", "kvdb1.AAAA.AAAA")]
    [InlineData("Bearer", "garbage")]
    [InlineData("Digest", "username=x")]
    public async Task Malformed_credentials_get_401_problem_details(string scheme, string value)
    {
        await SetUpUsersAndEnableAsync();
        using var response = await SendAsync("GET", "/v1/kv/pub/a", auth: new AuthenticationHeaderValue(scheme, value));
        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Fact]
    public async Task Failed_logins_are_rate_limited_and_unknown_users_look_like_wrong_passwords()
    {
        await SetUpUsersAndEnableAsync();
        using (var unknown = await SendAsync("GET", "/v1/kv/pub/a", auth: Basic("ghost", "pw")))
        using (var wrong = await SendAsync("GET", "/v1/kv/pub/a", auth: Basic("ann", "wrong")))
        {
            unknown.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            wrong.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            (await unknown.Content.ReadAsStringAsync()).Should().Contain("Wrong user name or password");
            (await wrong.Content.ReadAsStringAsync()).Should().Contain("Wrong user name or password");
        }

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 20; i++)
        {
            using var attempt = await SendAsync("GET", "/v1/kv/pub/a", auth: Basic("ann", "wrong"));
            statuses.Add(attempt.StatusCode);
        }

        statuses.Should().Contain(HttpStatusCode.TooManyRequests);
        statuses.Should().OnlyContain(s => s == HttpStatusCode.Unauthorized || s == HttpStatusCode.TooManyRequests);
    }
}

// Auth state is replicated: users made through one member, auth enabled through another, and
// a token issued by a third are honoured on every member, and a password change revokes the
// token everywhere.
[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class ReplicatedAuthTests
{
    private static AuthenticationHeaderValue Basic(string user, string password)
        => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    private static async Task<HttpStatusCode> SendAsync(KvdbCluster cluster, int member, string method, string path, string? body = null, AuthenticationHeaderValue? auth = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(cluster.Url(member), path.TrimStart('/')));
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        request.Headers.Authorization = auth;
        using var response = await cluster.Client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Users_tokens_and_revocations_hold_on_every_member()
    {
        await using var cluster = await KvdbCluster.StartAsync(3, "--in-memory");
        (await SendAsync(cluster, 2, "POST", "/v1/auth/users", """{"name": "root", "password": "rootpw"}""")).Should().Be(HttpStatusCode.Created);
        (await SendAsync(cluster, 3, "POST", "/v1/auth/roles", """{"name": "rw", "permissions": [{"prefix": "", "access": "readwrite"}]}""")).Should().Be(HttpStatusCode.Created);
        (await SendAsync(cluster, 1, "POST", "/v1/auth/users", """{"name": "ann", "password": "annpw", "roles": ["rw"]}""")).Should().Be(HttpStatusCode.Created);
        (await SendAsync(cluster, 3, "POST", "/v1/auth/enable")).Should().Be(HttpStatusCode.OK);

        // Each member applies the switch when it applies that entry; a linearizable write
        // through it afterwards means it has.
        for (var member = 1; member <= 3; member++)
        {
            var id = member;
            await Eventually.WaitUntilAsync(async () => await SendAsync(cluster, id, "GET", "/my-key") == HttpStatusCode.Unauthorized,
                $"member {id} to require credentials", TimeSpan.FromSeconds(30));
            (await SendAsync(cluster, id, "PUT", "/v1/kv/from-" + id, "\"x\"", Basic("ann", "annpw"))).Should().Be(HttpStatusCode.NoContent);
        }

        using var issued = await cluster.Client.PostAsync(new Uri(cluster.Url(1), "v1/auth/token"), new StringContent("""{"name": "ann", "password": "annpw"}""", Encoding.UTF8, "application/json"));
        var token = JsonDocument.Parse(await issued.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
        var bearer = new AuthenticationHeaderValue("Bearer", token);
        for (var member = 1; member <= 3; member++)
            (await SendAsync(cluster, member, "GET", "/v1/kv/from-1", auth: bearer)).Should().Be(HttpStatusCode.OK);

        (await SendAsync(cluster, 2, "PUT", "/v1/auth/users/ann/password", """{"password": "new"}""", Basic("root", "rootpw"))).Should().Be(HttpStatusCode.NoContent);
        for (var member = 1; member <= 3; member++)
        {
            var id = member;
            await Eventually.WaitUntilAsync(async () => await SendAsync(cluster, id, "GET", "/v1/kv/from-1", auth: bearer) == HttpStatusCode.Unauthorized,
                $"member {id} to refuse the revoked token", TimeSpan.FromSeconds(30));
        }
    }
}
