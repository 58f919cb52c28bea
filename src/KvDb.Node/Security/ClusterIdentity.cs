// Keeps members of different clusters apart: every member-to-member request carries the
// sender's cluster id (X-Kvdb-Cluster-Id), and the peer port refuses one from another cluster.
// This is what stops a cluster restored from a backup (a new id) and the cluster the backup came
// from from mixing, even at the same addresses.
// Invariants:
//  - The id is read from this member's applied state (ClusterId in KvDb.Core), where the first
//    leader or a restore put it; once known it never changes, so it is cached.
//  - A request with another cluster's id is refused 403 (problem details) before DotNext's Raft
//    handler or any /internal/ endpoint sees it, with one warning per remote address per 10 s.
//  - A request without the header is let through (a member of an older release, or one that does
//    not know its cluster's id yet: a new member waiting for --join, a cluster whose first leader
//    has not committed the bootstrap); so is every request while this member knows no id. The
//    check starts as soon as both sides know their ids.
using KvDb.Core.State;
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using KvDb.Node.Raft;

namespace KvDb.Node.Security;

/// <summary>This member's cluster id, as applied here.</summary>
public sealed class ClusterIdentity(IServiceProvider services)
{
    /// <summary>The request header carrying the sender's cluster id.</summary>
    public const string HeaderName = "X-Kvdb-Cluster-Id";

    private string? known;

    /// <summary>The cluster id, or null while this member knows none.</summary>
    public string? Current
    {
        get
        {
            if (Volatile.Read(ref known) is { } id)
                return id;
            try
            {
                id = ClusterId.Read(services.GetRequiredService<LocalState>().Store);
            }
            catch (InvalidOperationException)
            {
                // The member has not opened its state yet.
                return null;
            }

            if (id is not null)
                Volatile.Write(ref known, id);
            return id;
        }
    }
}

/// <summary>Adds this member's cluster id to every request of a member-to-member HTTP client.</summary>
public sealed class ClusterIdHandler(ClusterIdentity identity) : PeerHeaderHandler
{
    /// <inheritdoc/>
    protected override string HeaderName => ClusterIdentity.HeaderName;

    /// <inheritdoc/>
    protected override string? Value => identity.Current;
}

/// <summary>The peer port's check of the sender's cluster id.</summary>
public static partial class ClusterIdCheck
{
    /// <summary>Refuses peer-port requests from members of another cluster; call early in the pipeline.</summary>
    public static IApplicationBuilder UseClusterIdCheck(this IApplicationBuilder app, NodeOptions options)
    {
        var identity = app.ApplicationServices.GetRequiredService<ClusterIdentity>();
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ClusterIdCheck).FullName!);
        var warnings = new WarningLimiter(TimeSpan.FromSeconds(10));
        return app.Use(next => context =>
        {
            if (!PeerPort.IsPeer(context, options)
                || context.Request.Headers[ClusterIdentity.HeaderName] is not { Count: > 0 } header
                || identity.Current is not { } ours
                || (header.Count == 1 && string.Equals(header[0], ours, StringComparison.Ordinal)))
            {
                return next(context);
            }

            var theirs = string.Join(",", header.ToArray());
            var remote = context.Connection.RemoteIpAddress?.ToString() ?? "an unknown address";
            if (warnings.ShouldLog(remote))
                LogRefused(logger, context.Request.Method, context.Request.Path.Value ?? "/", remote, theirs, ours);
            return Problems.Of(
                StatusCodes.Status403Forbidden,
                "Member of another cluster",
                $"This member belongs to cluster {ours}; the request came from a member of cluster {theirs}. Members of different clusters (for example a cluster restored from a backup and the one it was taken from) never talk to each other: check --cluster and the data directories.")
                .ExecuteAsync(context);
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The peer port refused {Method} {Path} from {Remote}: it comes from a member of cluster {Theirs}, this member belongs to cluster {Ours} (a member of another cluster, e.g. one restored from a backup, at an address of this one?)")]
    private static partial void LogRefused(ILogger logger, string method, string path, string remote, string theirs, string ours);
}
