// The middleware that turns requests into audit lines. The composition root places it outside
// the exception handler and before routing, the port policy and the auth gate, so that it sees
// the status the client got: a 401, 403 or 429 from the gate, a problem an exception became, a
// 500 that got past every handler.
// Invariants:
//  - Registered only with --audit-log (UseAuditLog adds nothing otherwise).
//  - Requests on the peer port are not audited: they are members' traffic, authenticated there.
//  - A GET, HEAD or OPTIONS answered other than 401, 403 or 429 costs a few field reads and no
//    allocation; every other request allocates its line and nothing else on the request's path
//    (serializing and writing happen on the log's thread).
//  - What a line records is listed in AuditLine; the Authorization header is read only to name
//    the user of a refused Basic login, and only its user part is decoded into a string.
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using KvDb.Node.Auth;
using KvDb.Node.HttpKit;
using KvDb.Node.Raft;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace KvDb.Node.Audit;

/// <summary>Records audited requests in the <see cref="AuditLog"/>.</summary>
public sealed class AuditRecorder
{
    private const int MaxQueryNames = 16;
    private const int MaxQueryNameChars = 64;
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private readonly RequestDelegate next;
    private readonly AuditLog log;
    private readonly Func<bool> authEnabled;
    private readonly TimeProvider clock;
    private readonly int member;
    private readonly int peerPort;

    /// <summary>A recorder in front of <paramref name="next"/> for member <paramref name="member"/>, which ignores <paramref name="peerPort"/>.</summary>
    public AuditRecorder(RequestDelegate next, AuditLog log, Func<bool> authEnabled, TimeProvider clock, int member, int peerPort)
    {
        this.next = next;
        this.log = log;
        this.authEnabled = authEnabled;
        this.clock = clock;
        this.member = member;
        this.peerPort = peerPort;
    }

    /// <summary>Runs the rest of the pipeline, then records the request if it is audited.</summary>
    public Task InvokeAsync(HttpContext context)
    {
        if (context.Connection.LocalPort == peerPort)
            return next(context);

        // Most requests complete without this frame going async; those that do pay for the await.
        var task = next(context);
        if (!task.IsCompletedSuccessfully)
            return AwaitAsync(task, context);
        Record(context, failed: false);
        return Task.CompletedTask;
    }

    private async Task AwaitAsync(Task task, HttpContext context)
    {
        var failed = true;
        try
        {
            await task;
            failed = false;
        }
        finally
        {
            Record(context, failed);
        }
    }

    /// <summary>Queues the line of <paramref name="context"/>'s request, if it is audited.</summary>
    internal void Record(HttpContext context, bool failed)
    {
        var request = context.Request;
        var method = request.Method;
        var status = failed ? StatusCodes.Status500InternalServerError : context.Response.StatusCode;
        var changing = !HttpMethods.IsGet(method) && !HttpMethods.IsHead(method) && !HttpMethods.IsOptions(method);
        if (!changing && status is not (StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden or StatusCodes.Status429TooManyRequests))
            return;

        var (kind, user) = Classify(context, status, changing);
        if (kind is null)
            return;

        // The exception handler clears the endpoint and route values before it writes the
        // problem; it keeps them on its feature.
        var handled = context.Features.Get<IExceptionHandlerFeature>();
        var endpoint = context.GetEndpoint() ?? handled?.Endpoint;
        var values = handled?.RouteValues ?? request.RouteValues;
        var (query, prefix) = QueryOf(request);
        log.Record(new AuditLine
        {
            Time = clock.GetUtcNow().UtcDateTime,
            Kind = kind,
            Member = member,
            User = user,
            Client = context.Connection.RemoteIpAddress?.ToString(),
            Method = method,
            Route = (endpoint as RouteEndpoint)?.RoutePattern.RawText,
            Path = request.Path.Value ?? "/",
            Key = values.TryGetValue("key", out var key) && key is string { Length: > 0 } text ? text : null,
            Prefix = prefix,
            Query = query,
            Status = status,
            Revision = RevisionOf(context.Response.Headers),
        });
    }

    // What happened, and who did it. 401 and 429 come only from authentication (the gate, or the
    // token endpoint, which names the login it tried), 403 only from permission checks, except
    // a 429 for too many leases, which only an authenticated caller (or anyone, with auth off) gets.
    private (string? Kind, string? User) Classify(HttpContext context, int status, bool changing)
    {
        var caller = context.Features.Get<AuthenticatedCaller>();
        if (context.Features.Get<LoginAttempt>() is { } login)
        {
            return status switch
            {
                >= 200 and < 300 => (AuditKinds.Login, login.Name),
                StatusCodes.Status401Unauthorized => (AuditKinds.LoginFailed, login.Name),
                StatusCodes.Status429TooManyRequests => (AuditKinds.LoginLimited, login.Name),
                _ => (changing ? AuditKinds.Request : null, caller?.User.Name),
            };
        }

        var basic = caller is null && IsBasic(context.Request);
        return status switch
        {
            StatusCodes.Status401Unauthorized when caller is null => basic ? (AuditKinds.LoginFailed, BasicUser(context.Request)) : (AuditKinds.Unauthorized, null),
            StatusCodes.Status429TooManyRequests when basic && authEnabled() => (AuditKinds.LoginLimited, BasicUser(context.Request)),
            StatusCodes.Status403Forbidden => (AuditKinds.Forbidden, caller?.User.Name),
            _ => (changing ? AuditKinds.Request : null, caller?.User.Name),
        };
    }

    private static bool IsBasic(HttpRequest request)
        => request.Headers.Authorization.ToString().StartsWith("Basic ", StringComparison.OrdinalIgnoreCase);

    // The user part of Basic credentials: decoded on the stack, the password never made a
    // string, the buffer wiped.
    private static string? BasicUser(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString().AsSpan(6).Trim();
        Span<byte> bytes = stackalloc byte[512];
        if (!Convert.TryFromBase64Chars(header, bytes, out var length))
            return null;
        try
        {
            var colon = bytes[..length].IndexOf((byte)':');
            return colon > 0 ? StrictUtf8.GetString(bytes[..colon]) : null;
        }
        catch (ArgumentException)
        {
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes[..length]);
        }
    }

    // The names of the query's parameters and the prefix it names; never another value.
    private static (string[]? Names, string? Prefix) QueryOf(HttpRequest request)
    {
        if (!request.QueryString.HasValue)
            return (null, null);
        var query = request.Query;
        if (query.Count == 0)
            return (null, null);

        var names = new string[Math.Min(query.Count, MaxQueryNames)];
        var i = 0;
        foreach (var name in query.Keys)
        {
            if (i == names.Length)
                break;
            names[i++] = name.Length <= MaxQueryNameChars ? name : name[..MaxQueryNameChars];
        }

        return (names, query.TryGetValue("prefix", out var prefix) ? prefix.ToString() : null);
    }

    private static long? RevisionOf(IHeaderDictionary headers)
        => ParseRevision(headers[ValueResults.RevisionHeader].ToString()) ?? ParseRevision(headers[KvdbHeaders.Index].ToString());

    private static long? ParseRevision(string text)
        => long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var revision) ? revision : null;
}

/// <summary>Places the audit log's middleware.</summary>
public static class AuditRegistration
{
    /// <summary>
    /// Adds the recorder when --audit-log is given, and nothing otherwise. Call outside the
    /// exception handler and before routing and the auth gate (see <see cref="AuditRecorder"/>).
    /// </summary>
    public static IApplicationBuilder UseAuditLog(this IApplicationBuilder app)
    {
        var services = app.ApplicationServices;
        if (!services.GetRequiredService<IOptions<AuditOptions>>().Value.Enabled)
            return app;
        var log = services.GetRequiredService<AuditLog>();
        var auth = services.GetRequiredService<AuthCache>();
        var clock = services.GetRequiredService<TimeProvider>();
        var member = services.GetRequiredService<IOptions<MemberOptions>>().Value;
        var peerPort = Uri.TryCreate(member.PeerUrl, UriKind.Absolute, out var peer) ? peer.Port : -1;
        return app.Use(next => new AuditRecorder(next, log, () => auth.Current is { Settings.Enabled: true }, clock, member.Id, peerPort).InvokeAsync);
    }
}
