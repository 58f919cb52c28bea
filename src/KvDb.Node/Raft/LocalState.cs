// This member's applied state, for reads: the state machine and its store. Reads that must be
// linearizable wait on IReadBarrier first; local reads take it as it is.
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using KvDb.Core.State;

namespace KvDb.Node.Raft;

/// <summary>The state this member has applied.</summary>
public sealed class LocalState(RaftNode node)
{
    /// <summary>The replicated state machine (valid once the member has started).</summary>
    public KvStateMachine Machine => node.StateMachine;

    /// <summary>The key-value store the state machine applies to.</summary>
    public IKeyValueStore Store => node.StateMachine.Store;

    /// <summary>This member's Raft log, for reading committed entries.</summary>
    public WriteAheadLog Log => node.Log;

    /// <summary>The index of the last entry applied here.</summary>
    public long AppliedIndex => node.StateMachine.AppliedIndex;
}
