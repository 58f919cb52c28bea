// RaftNode as IConsensus: the narrow view writes and reads take of the Raft member.
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using Microsoft.AspNetCore.Connections;

namespace KvDb.Node.Raft;

/// <summary>The Raft member, as writes and reads see it.</summary>
public sealed partial class RaftNode : IConsensus
{
    /// <inheritdoc/>
    public LeaderAddress? Leader => cluster?.Leader is { } leader ? AddressOf(leader) : null;

    /// <inheritdoc/>
    public CancellationToken LeadershipToken => Cluster.LeadershipToken;

    /// <inheritdoc/>
    public long CommitIndex => Log.LastCommittedEntryIndex;

    /// <inheritdoc/>
    public long LastIndex => Log.LastEntryIndex;

    /// <inheritdoc/>
    public long AppliedIndex => StateMachine.AppliedIndex;

    /// <inheritdoc/>
    public async Task<LeaderAddress> WaitForLeaderAsync(CancellationToken token)
        => AddressOf(await Cluster.WaitForLeaderAsync(Timeout.InfiniteTimeSpan, token).ConfigureAwait(false));

    /// <inheritdoc/>
    public async ValueTask ReplicateAsync(BinaryLogEntry entry, CancellationToken token)
        => await Cluster.ReplicateAsync(entry, token).ConfigureAwait(false);

    /// <inheritdoc/>
    public ValueTask ForceReplicationAsync(CancellationToken token) => Cluster.ForceReplicationAsync(token);

    /// <inheritdoc/>
    public ValueTask WaitForApplyAsync(long index, CancellationToken token) => Log.WaitForApplyAsync(index, token);

    // Members are addressed by peer URI (DotNext.AspNetCore.Cluster names them so).
    private static LeaderAddress AddressOf(IClusterMember leader)
        => new(!leader.IsRemote, leader.EndPoint is UriEndPoint { Uri: var uri } ? uri : throw new InvalidOperationException($"The leader's address {leader.EndPoint} is not a URI."));
}
