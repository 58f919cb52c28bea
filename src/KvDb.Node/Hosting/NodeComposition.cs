// Composition of one member: Kestrel with its two ports (TLS per Security/), the Raft member
// (engine, log and DotNext's cluster, opened in that order by RaftNode), then the narrow
// services each use case takes (IConsensus, IProposer, IReadBarrier, LocalState, the
// membership service, the auth state, the change feed), and the request pipeline: peer proofs
// and client-certificate users first, the consensus protocol on the peer port, operations, the
// audit log (with --audit-log; outside everything that answers, so it sees the final status),
// one exception-to-problem-details mapping, routing, the port policy, the auth gate and each
// feature's endpoints (NodeFeatures).
// Invariants:
//  - Hosted services start in registration order: the Raft member first, so everything after
//    it finds the member started; they stop in reverse, so the write batcher drains before the
//    member stops.
//  - Peer-only endpoints are mapped like the others and refused on the client port by
//    PeerPort's policy (and everything else is refused on the peer port).
//  - Every endpoint carries an access rule (Auth/AccessRules); the catch-all /{key} is mapped
//    last so that every other route wins.
using KvDb.Core.Commands;
using KvDb.Node.Audit;
using KvDb.Node.Auth;
using KvDb.Node.HttpKit;
using KvDb.Node.Observability;
using KvDb.Node.OpenApi;
using KvDb.Node.Raft;
using KvDb.Node.Security;

namespace KvDb.Node.Hosting;

/// <summary>Builds the web application of one member.</summary>
public static class NodeComposition
{
    /// <summary>Builds the web application of one member; exposed for in-process tests.</summary>
    public static WebApplication BuildApp(NodeOptions options)
    {
        var security = NodeSecurity.Load(options);
        // kvdb is configured by its flags alone. The default would watch the working directory
        // (recursively, for appsettings.json), and a data directory under it (the Procfile's)
        // then costs a file-system event per log write.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        ConfigureLogging(builder.Logging, options.LogLevel);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(options.HttpAddress, options.Port, security.ServeClientPort);
            kestrel.Listen(options.PeerEndPoint, security.ServePeerPort);
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = long.Max(64L << 20, options.MaxValueBytes + (1L << 20));
            kestrel.Limits.MaxRequestLineSize = 64 * 1024;
            kestrel.Limits.MaxRequestHeadersTotalSize = 96 * 1024;
        });

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddOptions<MemberOptions>().Configure(member =>
        {
            member.Id = options.Id;
            member.PeerUrl = options.PeerUrl;
            member.AdvertisedHttpUrl = options.AdvertisedHttpUrl;
            member.ClusterUrls = options.ClusterUrls;
            member.Join = options.Join;
            member.DataDir = options.DataDir;
            member.InMemory = options.InMemory;
            member.RequestTimeout = options.RequestTimeout;
            member.WatchHistory = options.WatchHistory;
            member.WatchHistoryFloor = options.WatchHistoryFloor;
        });
        services.AddSingleton(CommandRegistry.Default);
        services.AddRaftMember(options);
        services.AddSingleton<IConsensus>(static sp => sp.GetRequiredService<RaftNode>());
        services.AddSingleton<IRaftMembership>(static sp => sp.GetRequiredService<RaftNode>());
        services.AddSingleton<LocalState>();
        services.AddNodeSecurity(security, options);
        services.AddSingleton<PeerClient>();

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<KvService>();
        services.AddOptions<ValueLimits>().Configure<NodeOptions>(static (limits, node) => limits.MaxValueBytes = node.MaxValueBytes);
        foreach (var feature in NodeFeatures.All)
            feature.AddServices(services);
        services.AddProblemDetails();
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.AddKvdbOpenApi(options);
        services.Configure<HostOptions>(static host => host.ShutdownTimeout = TimeSpan.FromSeconds(10));

        var app = builder.Build();
        app.UseNodeSecurity(options);
        app.UsePeerProtocol(options);
        app.UseOperations();
        app.UseAuditLog();
        app.UseExceptionHandler();
        app.UseStatusCodePages(static pages => AnswerEmptyError(pages.HttpContext));
        app.UseRouting();
        app.UsePortPolicy(options);
        app.UseAuthGate();
        foreach (var feature in NodeFeatures.All)
            feature.MapEndpoints(app);
        app.MapKvdbOpenApi(options);
        return app;
    }

    // An error status with no body yet (a static file's 412 for a failed If-Match) gets problem
    // details whatever the client's Accept says: the default page falls back to text/plain when
    // Accept names no JSON type, and every kvdb error is problem details.
    private static Task AnswerEmptyError(HttpContext context)
    {
        var status = context.Response.StatusCode;
        var reason = Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
        return Problems.Of(status, reason.Length > 0 ? reason : "Error", $"{context.Request.Method} {context.Request.Path}: {status} {reason}.").ExecuteAsync(context);
    }

    private static void ConfigureLogging(ILoggingBuilder logging, LogLevel level)
    {
        logging.ClearProviders();
        logging.AddKvdbConsole();
        logging.SetMinimumLevel(level);

        // Library internals are noisy (DotNext logs each failed heartbeat with a stack trace);
        // kvdb logs the events operators care about itself. Show them only when debugging.
        var libraries = level <= LogLevel.Debug ? level : LogLevel.Warning;
        logging.AddFilter("Microsoft", libraries);
        logging.AddFilter("DotNext", level <= LogLevel.Debug ? level : LogLevel.Error);

        // The transport logs every failed request as an error, including the expected "snapshot
        // still being fetched, retry" answers; kvdb logs the fetch itself.
        logging.AddFilter("DotNext.Net.Cluster.Consensus.Raft.Http", level <= LogLevel.Debug ? level : LogLevel.Critical);
        logging.AddFilter("Microsoft.Hosting.Lifetime", libraries);

        // ASP.NET Core writes several lines per request at Debug; RequestLogging writes one.
        logging.AddFilter("Microsoft.AspNetCore", level <= LogLevel.Trace ? level : LogLevel.Warning);

        // Hosting logs only per-request lines and start-up failures (reported on their own). While
        // its logger is enabled at all, it starts an Activity and a log scope for every request.
        logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", level <= LogLevel.Trace ? level : LogLevel.None);

        // A failed start is reported once, as one line on stderr, not as a logged stack trace.
        logging.AddFilter("Microsoft.Extensions.Hosting", level <= LogLevel.Debug ? level : LogLevel.Critical);
    }

}
