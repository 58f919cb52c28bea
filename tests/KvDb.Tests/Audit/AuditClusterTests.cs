// The audit log on a running member with auth on: a write, a failed login, a 403, a token
// issued and refused each leave their line, with the user, route, key, status and revision,
// and nothing secret (passwords, the token, values, the Authorization header) is in the file.
// A member whose audit log cannot be written (a full disk, a place it may not create files)
// serves writes all the same and counts what it dropped.
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using KvDb.Tests.Observability;

namespace KvDb.Tests.Audit;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class AuditClusterTests : IAsyncLifetime
{
    private const string RootPassword = "root-Pa55-never-logged";
    private const string WriterPassword = "writer-Pa55-never-logged";
    private const string WrongPassword = "Wr0ng-never-logged";
    private const string FirstValue = "value-1-never-logged";
    private const string SecondValue = "value-2-never-logged";

    private readonly string directory = Directory.CreateTempSubdirectory("kvdb-audit-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(directory, recursive: true);
        return Task.CompletedTask;
    }

    private string AuditFile => Path.Combine(directory, "audit.log");

    private static AuthenticationHeaderValue Basic(string user, string password)
        => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    private static async Task<HttpResponseMessage> SendAsync(KvdbCluster cluster, string method, string path, string? body = null, AuthenticationHeaderValue? auth = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(cluster.Url(1), path.TrimStart('/')));
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, body.StartsWith('{') ? "application/json" : "text/plain");
        request.Headers.Authorization = auth;
        return await cluster.Client.SendAsync(request);
    }

    private static async Task<string> ExpectAsync(KvdbCluster cluster, HttpStatusCode expected, string method, string path, string? body = null, AuthenticationHeaderValue? auth = null)
    {
        using var response = await SendAsync(cluster, method, path, body, auth);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(expected, $"{method} {path}: {text}");
        return text;
    }

    // The complete lines of the file so far (a line being written may be cut short).
    private List<JsonElement> Lines()
    {
        if (!File.Exists(AuditFile))
            return [];
        using var stream = new FileStream(AuditFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var text = new StreamReader(stream).ReadToEnd();
        return [.. text.Split('\n')[..^1].Select(static l => JsonDocument.Parse(l).RootElement.Clone())];
    }

    private static string Describe(JsonElement line) => line.GetRawText();

    private static bool Is(JsonElement line, string kind, string method, string path, int status)
        => line.GetProperty("kind").GetString() == kind && line.GetProperty("method").GetString() == method
           && line.GetProperty("path").GetString() == path && line.GetProperty("status").GetInt32() == status;

    [Fact]
    public async Task Writes_logins_and_refusals_are_audited_without_secrets()
    {
        await using var cluster = await KvdbCluster.StartAsync(1, "--in-memory", "--audit-log", AuditFile);
        await ExpectAsync(cluster, HttpStatusCode.Created, "POST", "/v1/auth/roles", """{"name": "rw", "permissions": [{"prefix": "pub/", "access": "readwrite"}]}""");
        await ExpectAsync(cluster, HttpStatusCode.Created, "POST", "/v1/auth/users", $$"""{"name": "root", "password": "{{RootPassword}}"}""");
        await ExpectAsync(cluster, HttpStatusCode.Created, "POST", "/v1/auth/users", $$"""{"name": "writer", "password": "{{WriterPassword}}", "roles": ["rw"]}""");
        await ExpectAsync(cluster, HttpStatusCode.OK, "POST", "/v1/auth/enable");

        var writer = Basic("writer", WriterPassword);
        await ExpectAsync(cluster, HttpStatusCode.NoContent, "PUT", "/v1/kv/pub/a", FirstValue, writer);
        await ExpectAsync(cluster, HttpStatusCode.Unauthorized, "PUT", "/v1/kv/pub/a", FirstValue, Basic("writer", WrongPassword));
        await ExpectAsync(cluster, HttpStatusCode.Forbidden, "PUT", "/v1/kv/secret/x", FirstValue, writer);
        var issued = await ExpectAsync(cluster, HttpStatusCode.OK, "POST", "/v1/auth/token", $$"""{"name": "writer", "password": "{{WriterPassword}}"}""");
        var token = JsonDocument.Parse(issued).RootElement.GetProperty("token").GetString()!;
        await ExpectAsync(cluster, HttpStatusCode.NoContent, "PUT", "/v1/kv/pub/b?ttl=30s", SecondValue, new AuthenticationHeaderValue("Bearer", token));
        await ExpectAsync(cluster, HttpStatusCode.OK, "GET", "/v1/kv/pub/b", auth: new AuthenticationHeaderValue("Bearer", token));
        await ExpectAsync(cluster, HttpStatusCode.Unauthorized, "POST", "/v1/auth/token", $$"""{"name": "writer", "password": "{{WrongPassword}}"}""");

        // The last request's line is written last: once it is there, all are.
        await Eventually.WaitUntilAsync(() => Lines().Any(static l => Is(l, "login_failed", "POST", "/v1/auth/token", 401)), "the audit log to show the refused token",
            TimeSpan.FromSeconds(30), () => File.Exists(AuditFile) ? File.ReadAllText(AuditFile) : "no file", TimeSpan.FromMilliseconds(50));
        var lines = Lines();
        var all = string.Join('\n', lines.Select(Describe));

        var put = lines.Should().ContainSingle(static l => Is(l, "request", "PUT", "/v1/kv/pub/a", 204), all).Which;
        put.GetProperty("user").GetString().Should().Be("writer");
        put.GetProperty("member").GetInt32().Should().Be(1);
        put.GetProperty("client").GetString().Should().Be("127.0.0.1");
        put.GetProperty("route").GetString().Should().Be("/v1/kv/{**key}");
        put.GetProperty("key").GetString().Should().Be("pub/a");
        put.GetProperty("revision").GetInt64().Should().BePositive();
        var time = DateTime.Parse(put.GetProperty("time").GetString()!, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind);
        time.Kind.Should().Be(DateTimeKind.Utc);
        time.Should().BeCloseTo(DateTime.UtcNow, TimeSpan.FromMinutes(5));

        lines.Should().ContainSingle(static l => Is(l, "login_failed", "PUT", "/v1/kv/pub/a", 401), all)
            .Which.GetProperty("user").GetString().Should().Be("writer");
        var forbidden = lines.Should().ContainSingle(static l => Is(l, "forbidden", "PUT", "/v1/kv/secret/x", 403), all).Which;
        forbidden.GetProperty("user").GetString().Should().Be("writer");
        forbidden.GetProperty("key").GetString().Should().Be("secret/x");
        lines.Should().ContainSingle(static l => Is(l, "login", "POST", "/v1/auth/token", 200), all)
            .Which.GetProperty("user").GetString().Should().Be("writer");
        var withToken = lines.Should().ContainSingle(static l => Is(l, "request", "PUT", "/v1/kv/pub/b", 204), all).Which;
        withToken.GetProperty("user").GetString().Should().Be("writer");
        withToken.GetProperty("query").EnumerateArray().Select(static q => q.GetString()).Should().Equal("ttl");
        lines.Should().ContainSingle(static l => Is(l, "login_failed", "POST", "/v1/auth/token", 401), all)
            .Which.GetProperty("user").GetString().Should().Be("writer");
        lines.Should().Contain(static l => Is(l, "request", "POST", "/v1/auth/users", 201), all)
            .And.Contain(static l => Is(l, "request", "POST", "/v1/auth/enable", 200));
        lines.Should().NotContain(static l => l.GetProperty("method").GetString() == "GET", "reads answered normally are not audited");

        var text = await File.ReadAllTextAsync(AuditFile);
        foreach (var secret in new[] { RootPassword, WriterPassword, WrongPassword, token, FirstValue, SecondValue, writer.Parameter!, "Basic", "Bearer" })
            text.Should().NotContain(secret);
    }

    [Theory]
    [InlineData("/dev/full")] // every write fails with ENOSPC: a full disk
    [InlineData("/proc/kvdb-audit/audit.log")] // no file can be created there, even by root
    public async Task Writes_succeed_when_the_audit_log_cannot_be_written(string auditLog)
    {
        await using var cluster = await KvdbCluster.StartAsync(1, "--in-memory", "--audit-log", auditLog);
        for (var i = 0; i < 5; i++)
            await ExpectAsync(cluster, HttpStatusCode.NoContent, "PUT", $"/v1/kv/k{i}", "v");
        (await cluster.GetAsync(1, "k4")).Should().Be("v");

        double? dropped = null;
        await Eventually.WaitUntilAsync(
            async () =>
            {
                dropped = PrometheusText.Parse(await cluster.Client.GetStringAsync(new Uri(cluster.Url(1), "metrics"))).Value("kvdb_audit_dropped", "reason=write_failed");
                return dropped >= 5;
            },
            "kvdb_audit_dropped{reason=\"write_failed\"} to count the lines of the writes", TimeSpan.FromSeconds(30), () => $"{dropped}\n{cluster.Describe()}", TimeSpan.FromMilliseconds(100));
        await cluster.Member(1).WaitForOutputAsync("Audit log " + auditLog);
    }
}
