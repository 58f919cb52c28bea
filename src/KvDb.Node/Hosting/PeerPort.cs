// Keeps member-to-member traffic and client traffic on their own ports of one Kestrel server.
// Invariants:
//  - The peer port (the port of this member's URL in --cluster) serves DotNext's consensus
//    protocol and the endpoints marked PeerOnly (forwarded writes, read index, snapshot
//    archives), and nothing else: any other request there is 404.
//  - The client port (--port) serves no PeerOnly endpoint and nothing under /internal/: those
//    are 404 there, whatever the method, so no client can propose commands or fetch archives.
//  - The decision is made from the port the connection arrived on, never from a header.

using KvDb.Node.HttpKit;
using KvDb.Node.Raft;

namespace KvDb.Node.Hosting;

/// <summary>Routes requests by the port they arrived on.</summary>
public static class PeerPort
{
    /// <summary>Answers the consensus protocol on the peer port, before anything else runs.</summary>
    /// <remarks>
    /// The branch is built at the first request, not with the application: DotNext's handler
    /// needs the Raft member, which exists once RaftNode has opened the log (Kestrel starts
    /// listening only after that).
    /// </remarks>
    public static IApplicationBuilder UsePeerProtocol(this IApplicationBuilder app, NodeOptions options)
        => app.Use(next =>
        {
            var peer = new Lazy<RequestDelegate>(() => app.New().UseRaftProtocol().Use(_ => next).Build());
            return context => IsPeer(context, options) ? peer.Value(context) : next(context);
        });

    /// <summary>Refuses what the port a request arrived on does not serve; call after routing.</summary>
    public static IApplicationBuilder UsePortPolicy(this IApplicationBuilder app, NodeOptions options)
        => app.Use((context, next) =>
        {
            var peerOnly = context.GetEndpoint()?.Metadata.GetMetadata<PeerOnlyAttribute>() is not null;
            if (IsPeer(context, options))
            {
                return peerOnly ? next(context) : NotFound(context, "The peer port serves only other kvdb members; clients use --port.");
            }

            return peerOnly || context.Request.Path.StartsWithSegments("/internal", StringComparison.Ordinal)
                ? NotFound(context, "Member-to-member endpoints are served on the peer port only.")
                : next(context);
        });

    /// <summary>True when <paramref name="context"/> arrived on the peer port.</summary>
    public static bool IsPeer(HttpContext context, NodeOptions options) => context.Connection.LocalPort == options.PeerEndPoint.Port;

    private static Task NotFound(HttpContext context, string detail)
        => Problems.Of(StatusCodes.Status404NotFound, "No such endpoint", detail).ExecuteAsync(context);
}
