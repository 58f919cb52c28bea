// Registers DotNext.AspNetCore.Cluster's Raft member with kvdb's log and configuration file,
// and serves its consensus protocol on the peer port only.
// Invariants:
//  - The cluster object is DotNext's (IRaftCluster, IRaftHttpCluster), built by its own DI
//    factory from the log and configuration storage RaftNode opened; RaftNode starts and stops
//    it, so DotNext's own hosted-service registration is taken out (it would start the cluster
//    before the log is open, and stop it after the log is gone).
//  - Consensus messages are answered only on connections that arrived on the peer port.
//  - The container disposes what its factories returned in reverse order of resolution:
//    the cluster, then the configuration file, then the log; RaftNode.DisposeAsync disposes
//    them in the same order (and the state machine after), and disposing twice is harmless.
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Http;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using KvDb.Node.Hosting;
using KvDb.Node.Snapshots;
using Microsoft.AspNetCore.Connections;

namespace KvDb.Node.Raft;

/// <summary>Wires DotNext's HTTP-hosted Raft member into kvdb's services.</summary>
public static class RaftMemberRegistration
{
    /// <summary>Registers the Raft member (RaftNode and DotNext's cluster).</summary>
    public static IServiceCollection AddRaftMember(this IServiceCollection services, NodeOptions options)
    {
        services.AddSingleton<SnapshotTransfer>();
        services.AddSingleton<RaftNode>();
        services.AddHostedService(static sp => sp.GetRequiredService<RaftNode>());
        services.AddSingleton<IPersistentState>(static sp => sp.GetRequiredService<RaftNode>().Log);
        services.AddSingleton<IClusterConfigurationStorage<UriEndPoint>>(static sp => sp.GetRequiredService<RaftNode>().ConfigurationFile);

        var before = services.Where(static d => d.ServiceType == typeof(IHostedService)).ToHashSet();
        services.ConfigureLocalNode(configuration => RaftNode.Configure(configuration, options));
        foreach (var added in services.Where(d => d.ServiceType == typeof(IHostedService) && !before.Contains(d)).ToList())
            services.Remove(added);
        return services;
    }

    /// <summary>Serves the consensus protocol on connections to the peer port.</summary>
    public static IApplicationBuilder UseRaftProtocol(this IApplicationBuilder peer) => peer.UseCoveredSnapshotAnswer().UseConsensusProtocolHandler();
}
