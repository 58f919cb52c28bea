// The audit middleware on its own: which requests make a line and of what kind, who it names,
// what it records of the route, key, query and revision, that nothing secret (passwords,
// tokens, Authorization headers, values, query values) ever reaches the file, and that a read
// answered normally costs no allocation.
using System.Net;
using System.Text;
using System.Text.Json;
using KvDb.Core.Auth;
using KvDb.Node.Audit;
using KvDb.Node.Auth;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KvDb.Tests.Audit;

public sealed class AuditRecorderTests : IDisposable
{
    private const int PeerPort = 12379;
    private const string Password = "Pa55-word-never-logged";
    private const string WrongPassword = "Wr0ng-password-never-logged";
    private const string Token = "eyJ.token-never-logged.sig";
    private const string Value = "value-never-logged";
    private const string QueryValue = "query-value-never-logged";

    private readonly string directory = Directory.CreateTempSubdirectory("kvdb-audit-").FullName;
    private readonly LogCapture logs = new();
    private readonly AuditLog log;

    public AuditRecorderTests()
        => log = new(Options.Create(new AuditOptions { FilePath = FilePath }), new Logger<AuditLog>(logs), TimeProvider.System);

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string FilePath => Path.Combine(directory, "audit.log");

    private static AuthenticatedCaller Caller(string name)
        => new(new AuthUser { Name = name, PasswordHash = [], Roles = [] }, AuthState.Empty);

    private static string BasicHeader(string user, string password) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    // One request through the recorder: the endpoint's pattern and route values as routing
    // would set them, and "handler" doing what the rest of the pipeline would.
    private async Task SendAsync(string method, string path, string? query = null, string? authorization = null,
        string? route = null, string? key = null, Action<HttpContext>? handler = null, int localPort = 12380)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = path;
        if (query is not null)
            context.Request.QueryString = new QueryString(query);
        if (authorization is not null)
            context.Request.Headers.Authorization = authorization;
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(Value));
        context.Connection.LocalPort = localPort;
        context.Connection.RemoteIpAddress = IPAddress.Parse("10.1.2.3");
        if (route is not null)
            context.SetEndpoint(new RouteEndpoint(static _ => Task.CompletedTask, RoutePatternFactory.Parse(route), 0, EndpointMetadataCollection.Empty, route));
        if (key is not null)
            context.Request.RouteValues["key"] = key;
        await new AuditRecorder(c =>
        {
            handler?.Invoke(c);
            return Task.CompletedTask;
        }, log, static () => true, TimeProvider.System, 7, PeerPort).InvokeAsync(context);
    }

    private async Task<List<JsonElement>> LinesAsync()
    {
        await log.StopAsync(CancellationToken.None);
        return [.. File.ReadAllLines(FilePath).Select(static l => JsonDocument.Parse(l).RootElement.Clone())];
    }

    private static void Status(HttpContext context, int status, AuthenticatedCaller? caller = null, string? revision = null)
    {
        if (caller is not null)
            context.Features.Set(caller);
        context.Response.StatusCode = status;
        if (revision is not null)
            context.Response.Headers["X-Kvdb-Revision"] = revision;
    }

    [Fact]
    public async Task Each_audited_request_makes_one_line_of_its_kind_and_nothing_secret_is_written()
    {
        await log.StartAsync(CancellationToken.None);
        const string KvRoute = "/v1/kv/{**key}";

        // A write by a Basic user, with a query whose values must not be kept.
        await SendAsync("PUT", "/v1/kv/pub/a", $"?ttl={QueryValue}&lease={QueryValue}", BasicHeader("ann", Password), KvRoute, "pub/a",
            c => Status(c, 204, Caller("ann"), "42"));

        // Reads are not audited, whoever makes them and whatever they get.
        await SendAsync("GET", "/v1/kv/pub/a", null, BasicHeader("ann", Password), KvRoute, "pub/a", c => Status(c, 200, Caller("ann"), "42"));
        await SendAsync("HEAD", "/v1/kv/pub/a", null, null, KvRoute, "pub/a", c => Status(c, 404));

        // A wrong password: a failed login, naming the user it claimed.
        await SendAsync("GET", "/v1/kv/pub/a", null, BasicHeader("ann", WrongPassword), KvRoute, "pub/a", c => Status(c, 401));

        // Too many of them: refused without a password check.
        await SendAsync("PUT", "/v1/kv/pub/a", null, BasicHeader("ann", WrongPassword), KvRoute, "pub/a", c => Status(c, 429));

        // A bad token, and no credentials at all.
        await SendAsync("DELETE", "/v1/kv/pub/a", null, "Bearer " + Token, KvRoute, "pub/a", c => Status(c, 401));
        await SendAsync("GET", "/v1/kv", $"?prefix=pub/&limit={QueryValue}", null, "/v1/kv", null, c => Status(c, 401));

        // A permission refused, on a read and on a write.
        await SendAsync("GET", "/v1/kv", "?prefix=secret/", "Bearer " + Token, "/v1/kv", null, c => Status(c, 403, Caller("ann")));
        await SendAsync("POST", "/v1/auth/users", null, "Bearer " + Token, "/v1/auth/users", null, c => Status(c, 403, Caller("ann")));

        // The token endpoint: issued and refused, the claimed name from the handler, never the body.
        await SendAsync("POST", "/v1/auth/token", null, null, "/v1/auth/token", null, c =>
        {
            c.Features.Set(new LoginAttempt("ann"));
            Status(c, 200);
        });
        await SendAsync("POST", "/v1/auth/token", null, null, "/v1/auth/token", null, c =>
        {
            c.Features.Set(new LoginAttempt("bob"));
            Status(c, 401);
        });

        // Members' traffic on the peer port is theirs, not a client's.
        await SendAsync("POST", "/internal/v1/propose", null, null, null, null, c => Status(c, 200), localPort: PeerPort);

        // A state-changing request that failed is audited all the same.
        await SendAsync("PUT", "/v1/kv/pub/b", null, null, KvRoute, "pub/b", c => Status(c, 503));

        var lines = await LinesAsync();
        lines.Select(static l => $"{l.GetProperty("kind").GetString()} {l.GetProperty("method").GetString()} {l.GetProperty("status").GetInt32()} {(l.GetProperty("user").ValueKind == JsonValueKind.Null ? "-" : l.GetProperty("user").GetString())}")
            .Should().Equal(
                "request PUT 204 ann",
                "login_failed GET 401 ann",
                "login_limited PUT 429 ann",
                "unauthorized DELETE 401 -",
                "unauthorized GET 401 -",
                "forbidden GET 403 ann",
                "forbidden POST 403 ann",
                "login POST 200 ann",
                "login_failed POST 401 bob",
                "request PUT 503 -");

        var put = lines[0];
        put.GetProperty("member").GetInt32().Should().Be(7);
        put.GetProperty("client").GetString().Should().Be("10.1.2.3");
        put.GetProperty("route").GetString().Should().Be(KvRoute);
        put.GetProperty("path").GetString().Should().Be("/v1/kv/pub/a");
        put.GetProperty("key").GetString().Should().Be("pub/a");
        put.GetProperty("revision").GetInt64().Should().Be(42);
        put.GetProperty("query").EnumerateArray().Select(static q => q.GetString()).Should().Equal("ttl", "lease");
        DateTime.Parse(put.GetProperty("time").GetString()!, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind)
            .Kind.Should().Be(DateTimeKind.Utc);
        lines[4].GetProperty("prefix").GetString().Should().Be("pub/");
        lines[5].GetProperty("prefix").GetString().Should().Be("secret/");

        var text = await File.ReadAllTextAsync(FilePath);
        foreach (var secret in new[] { Password, WrongPassword, Token, Value, QueryValue, "Basic ", "Bearer ", Convert.ToBase64String(Encoding.UTF8.GetBytes("ann:" + Password)) })
            text.Should().NotContain(secret);
    }

    [Fact]
    public async Task A_read_answered_normally_costs_no_allocation()
    {
        await log.StartAsync(CancellationToken.None);
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Path = "/v1/kv/pub/a";
        context.Response.StatusCode = 200;
        var recorder = new AuditRecorder(static _ => Task.CompletedTask, log, static () => true, TimeProvider.System, 1, PeerPort);
        for (var i = 0; i < 100; i++)
            await recorder.InvokeAsync(context);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
            _ = recorder.InvokeAsync(context);
        (GC.GetAllocatedBytesForCurrentThread() - before).Should().Be(0);
        (await LinesAsync()).Should().BeEmpty();
    }
}
