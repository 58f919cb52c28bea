// A member that is not kvdb: a Kestrel server on a free loopback port that answers every
// request with the test's handler and records what it was sent. For the client's behaviour
// under answers a real member gives rarely (503 with Retry-After, 507) or never on demand.
// Like a member's client port, it serves HTTP/1.1 and HTTP/2 with prior knowledge.
using System.Collections.Concurrent;
using System.Net;
using KvDb.Node.HttpKit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KvDb.Client.Tests;

public sealed class FakeMember : IAsyncDisposable
{
    private readonly WebApplication app;

    private FakeMember(WebApplication app) => this.app = app;

    /// <summary>What the member was sent: method, path and query, and the Idempotency-Key.</summary>
    public ConcurrentQueue<(string Method, string Target, string? IdempotencyKey)> Requests { get; } = new();

    /// <summary>The protocol of each request it was sent ("HTTP/1.1", "HTTP/2").</summary>
    public ConcurrentQueue<string> Protocols { get; } = new();

    public Uri Url { get; private set; } = null!;

    public static async Task<FakeMember> StartAsync(Func<HttpContext, Task> handle)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(static kestrel => kestrel.Listen(IPAddress.Loopback, 0, CleartextHttp2.Serve));
        var app = builder.Build();
        var member = new FakeMember(app);
        app.Run(context =>
        {
            member.Protocols.Enqueue(context.Request.Protocol);
            member.Requests.Enqueue((context.Request.Method, context.Request.Path + context.Request.QueryString, context.Request.Headers["Idempotency-Key"].FirstOrDefault()));
            return handle(context);
        });
        await app.StartAsync();
        member.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return member;
    }

    /// <summary>Writes an RFC 7807 answer as kvdb does.</summary>
    public static Task ProblemAsync(HttpContext context, int status, string title, string detail, string? extension = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        var extra = extension is null ? "" : "," + extension;
        return context.Response.WriteAsync($$"""{"type":"about:blank","title":"{{title}}","status":{{status}},"detail":"{{detail}}"{{extra}}}""");
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
