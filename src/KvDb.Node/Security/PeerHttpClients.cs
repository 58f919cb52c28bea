// The HTTP clients a member calls other members with, both built by IHttpMessageHandlerFactory
// so that TLS and the peer proof are configured in one place:
//  - "kvdb-raft": DotNext.AspNetCore.Cluster's Raft messages. DotNext asks the factory for the
//    handler named by HttpClusterMemberConfiguration.ClientHandlerName (RaftHttpCluster's
//    CreateHttpHandler), and otherwise makes a plain SocketsHttpHandler with the lower election
//    timeout as its connect timeout; the handler here is that one plus TLS and the proof.
//  - "kvdb-peer": kvdb's own /internal/ calls (PeerClient: forwarded writes, read indices,
//    snapshot archives).
// Both also carry this member's cluster id (ClusterIdentity), checked by the peer port.
// Invariants: each name has one handler for the life of the process (one connection pool, as
// before the factory); the factory's per-request log lines are removed (kvdb logs what matters).
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
        Add(services, RaftClientName, () => new SocketsHttpHandler { ConnectTimeout = connectTimeout }, security);
        Add(services, PeerClient.HandlerName, PeerClient.CreateHandler, security);
        services.Configure<HttpClusterMemberConfiguration>(static configuration => configuration.ClientHandlerName = RaftClientName);
        return services;
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
