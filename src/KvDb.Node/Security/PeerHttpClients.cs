// The HTTP clients a member calls other members with, both built by IHttpMessageHandlerFactory
// so that TLS and the peer proof are configured in one place:
//  - "kvdb-raft": DotNext.AspNetCore.Cluster's Raft messages. DotNext asks the factory for the
//    handler named by HttpClusterMemberConfiguration.ClientHandlerName (RaftHttpCluster's
//    CreateHttpHandler), and otherwise makes a plain SocketsHttpHandler with the lower election
//    timeout as its connect timeout; the handler here is that one plus TLS and the proof.
//  - "kvdb-peer": kvdb's own /internal/ calls (PeerClient: forwarded writes, read indices,
//    snapshot archives).
// Both also carry this member's cluster id (ClusterIdentity), checked by the peer port.
// With --peer-source-address both make their connections from that local address, so whatever
// sits in front of a peer port (the fault suite's per-member proxies) knows who is calling.
// Invariants: each name has one handler for the life of the process (one connection pool, as
// before the factory); the factory's per-request log lines are removed (kvdb logs what matters).
using System.Net;
using System.Net.Sockets;
using DotNext.Net.Cluster.Consensus.Raft.Http;
using KvDb.Node.Hosting;
using KvDb.Node.Raft;

namespace KvDb.Node.Security;

/// <summary>Registers the member-to-member HTTP clients.</summary>
public static class PeerHttpClients
{
    /// <summary>The handler name DotNext's Raft client is configured with.</summary>
    public const string RaftClientName = "kvdb-raft";

    /// <summary>Registers both named handlers and points DotNext at its own.</summary>
    public static IServiceCollection AddPeerHttpClients(this IServiceCollection services, NodeSecurity security, NodeOptions options)
    {
        services.AddSingleton<ClusterIdentity>();
        var connectTimeout = TimeSpan.FromMilliseconds(options.ElectionTimeoutMs);
        var source = options.PeerSourceAddress;
        Add(services, RaftClientName, () => BindTo(new SocketsHttpHandler { ConnectTimeout = connectTimeout }, source), security);
        Add(services, PeerClient.HandlerName, () => BindTo(PeerClient.CreateHandler(), source), security);
        services.Configure<HttpClusterMemberConfiguration>(static configuration => configuration.ClientHandlerName = RaftClientName);
        return services;
    }

    // Binds each connection's local end to source before it connects; null leaves the handler as it is.
    private static SocketsHttpHandler BindTo(SocketsHttpHandler handler, IPAddress? source)
    {
        if (source is null)
            return handler;
        handler.ConnectCallback = async (context, token) =>
        {
            var socket = new Socket(source.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(context.DnsEndPoint, token);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
        return handler;
    }

    private static void Add(IServiceCollection services, string name, Func<SocketsHttpHandler> create, NodeSecurity security)
    {
        var client = services.AddHttpClient(name)
            .ConfigurePrimaryHttpMessageHandler(() => security.PeerClientTls.Secure(create()))
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();
        if (security.PeerToken is { } token)
            client.AddHttpMessageHandler(() => new PeerTokenHandler(token));
        client.AddHttpMessageHandler(static sp => new ClusterIdHandler(sp.GetRequiredService<ClusterIdentity>()));
    }
}
