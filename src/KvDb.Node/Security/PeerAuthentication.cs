// The request-level half of kvdb's transport security, placed first in the pipeline:
//  - on the peer port with --peer-token-file, a request without the proof of the shared secret
//    is answered 401 (problem details) before DotNext's consensus handler or any /internal/
//    endpoint sees it, and logged as one warning per remote address per 10 s;
//  - on the client port with --client-cert-auth, the verified client certificate's common name
//    becomes HttpContext.User (ClaimTypes.Name, authentication type "ClientCertificate"), as
//    etcd takes it for the user name.
// Invariant: which port a request came in on is decided by PeerPort.IsPeer (the local port),
// never by a header.
using System.Security.Claims;
using System.Security.Cryptography.X509Certificates;
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;

namespace KvDb.Node.Security;

/// <summary>Peer-proof checks and client-certificate identities.</summary>
public static partial class PeerAuthentication
{
    /// <summary>The authentication type of identities taken from client certificates.</summary>
    public const string ClientCertificateAuthenticationType = "ClientCertificate";

    /// <summary>Registers the loaded security material and the member-to-member HTTP clients.</summary>
    public static IServiceCollection AddNodeSecurity(this IServiceCollection services, NodeSecurity security, NodeOptions options)
        => services.AddSingleton(security).AddPeerHttpClients(security, options);

    /// <summary>Checks peer proofs and sets client-certificate users; call before anything else in the pipeline.</summary>
    public static IApplicationBuilder UseNodeSecurity(this IApplicationBuilder app, NodeOptions options)
    {
        var security = app.ApplicationServices.GetRequiredService<NodeSecurity>();
        var loggers = app.ApplicationServices.GetRequiredService<ILoggerFactory>();
        security.AttachLogging(loggers);

        if (security.PeerToken is { } token)
        {
            var logger = loggers.CreateLogger(typeof(PeerAuthentication).FullName!);
            var warnings = new WarningLimiter(TimeSpan.FromSeconds(10));
            app.Use(next => context => !PeerPort.IsPeer(context, options) || token.Accepts(Single(context.Request.Headers[PeerToken.HeaderName]))
                ? next(context)
                : Refuse(context, logger, warnings));
        }

        app.UseClusterIdCheck(options);

        if (options.Security.ClientCertAuth)
        {
            app.Use(next => context =>
            {
                if (!PeerPort.IsPeer(context, options) && Principal(context.Connection.ClientCertificate) is { } user)
                    context.User = user;
                return next(context);
            });
        }

        return app;
    }

    /// <summary>The user a verified client certificate stands for: its common name; null without one.</summary>
    public static ClaimsPrincipal? Principal(X509Certificate2? certificate)
    {
        if (certificate?.GetNameInfo(X509NameType.SimpleName, forIssuer: false) is not { Length: > 0 } name)
            return null;
        return new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, name)], ClientCertificateAuthenticationType, ClaimTypes.Name, ClaimTypes.Role));
    }

    private static string? Single(Microsoft.Extensions.Primitives.StringValues values) => values.Count == 1 ? values[0] : null;

    private static Task Refuse(HttpContext context, ILogger logger, WarningLimiter warnings)
    {
        var remote = context.Connection.RemoteIpAddress?.ToString() ?? "an unknown address";
        if (warnings.ShouldLog(remote))
        {
            var what = context.Request.Headers.ContainsKey(PeerToken.HeaderName) ? "a wrong" : "no";
            LogRefused(logger, context.Request.Method, context.Request.Path.Value ?? "/", remote, what);
        }

        return Problems.Of(
            StatusCodes.Status401Unauthorized,
            "Not a cluster member",
            $"Requests to the peer port must carry {PeerToken.HeaderName}, the proof of the secret in --peer-token-file that every member shares; only kvdb members send it.")
            .ExecuteAsync(context);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The peer port refused {Method} {Path} from {Remote}: {What} " + PeerToken.HeaderName + " (is it a member with a different --peer-token-file, or not a member?)")]
    private static partial void LogRefused(ILogger logger, string method, string path, string remote, string what);
}
