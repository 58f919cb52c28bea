// What writes and reads need of the Raft member, and nothing more: who leads, in which term
// this member leads, replicating an entry, a heartbeat round, and waiting until the log is
// applied here. ProposalBatcher and LinearizableReader take this instead of RaftNode, so they
// can be tested against a fake.
using DotNext.Net.Cluster.Consensus.Raft;

namespace KvDb.Node.Raft;

/// <summary>The leader as seen from this member: itself, or another member at a peer URI.</summary>
/// <param name="IsThisMember">True when this member leads.</param>
/// <param name="PeerUri">The leader's peer URI (member-to-member calls go there).</param>
public readonly record struct LeaderAddress(bool IsThisMember, Uri PeerUri);

/// <summary>The Raft member's services for proposing entries and confirming reads.</summary>
public interface IConsensus
{
    /// <summary>Completes once the member has started.</summary>
    Task Started { get; }

    /// <summary>The current leader, or null while there is none.</summary>
    LeaderAddress? Leader { get; }

    /// <summary>Waits until some member leads.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="token"/> was cancelled first.</exception>
    Task<LeaderAddress> WaitForLeaderAsync(CancellationToken token);

    /// <summary>The current term.</summary>
    long Term { get; }

    /// <summary>The term this member last became leader in and its last log index at that moment (see RaftNode).</summary>
    (long Term, long Index) LeadershipStart { get; }

    /// <summary>Cancelled when this member stops leading (already cancelled when it does not lead).</summary>
    CancellationToken LeadershipToken { get; }

    /// <summary>The index of the last committed entry known here.</summary>
    long CommitIndex { get; }

    /// <summary>The index of the last entry in this member's log.</summary>
    long LastIndex { get; }

    /// <summary>The index of the last entry applied here.</summary>
    long AppliedIndex { get; }

    /// <summary>Appends <paramref name="entry"/> as leader and waits until it is committed and applied here.</summary>
    ValueTask ReplicateAsync(BinaryLogEntry entry, CancellationToken token);

    /// <summary>Sends a round of AppendEntries (heartbeats) and waits for a majority to acknowledge it.</summary>
    ValueTask ForceReplicationAsync(CancellationToken token);

    /// <summary>Waits until the entry at <paramref name="index"/> is applied here.</summary>
    ValueTask WaitForApplyAsync(long index, CancellationToken token);
}
