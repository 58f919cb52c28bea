// The Raft member as the features that manage or report on the cluster see it (membership,
// operations, security): the configuration, the replicated member map and reconfiguration.
// Features that only read applied state take LocalState, and those that propose or wait for
// a leader take IConsensus; none takes RaftNode itself.
using System.Net;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Http;

namespace KvDb.Node.Raft;

/// <summary>The cluster's configuration and membership, as this member knows them.</summary>
public interface IRaftMembership
{
    /// <summary>The metadata key under which a member announces its HTTP API URL to the others.</summary>
    const string HttpUrlMetadataKey = "kvdb-http";

    /// <summary>Completes once the member has started.</summary>
    Task Started { get; }

    /// <summary>Whether the member has started.</summary>
    bool IsStarted { get; }

    /// <summary>DotNext's view of the cluster: leader, term, members and their states.</summary>
    IRaftCluster Cluster { get; }

    /// <summary>DotNext's reconfiguration API (add and remove members).</summary>
    IRaftHttpCluster Membership { get; }

    /// <summary>Whether this member was removed from the cluster.</summary>
    bool WasRemoved { get; }

    /// <summary>The replicated membership map (id → peer URL) as applied on this member.</summary>
    SortedDictionary<int, string> Members();

    /// <summary>The id of the member at the Raft endpoint <paramref name="endPoint"/>, or null when unknown.</summary>
    int? IdOf(EndPoint? endPoint);
}
