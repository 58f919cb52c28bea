// This member's applied state, for the features: the store and its revision, the in-memory
// change tail, the lease table, the log for reading committed entries, snapshot archives, and
// the state machine's events. Reads that must be linearizable wait on IReadBarrier first;
// local reads take it as it is.
// Invariants: nothing here writes; features never reach the storage engine or the Raft member
// through it (the backup feature's checkpoints go through CreateCheckpointSource).
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using KvDb.Core.Leases;
using KvDb.Core.State;
using KvDb.Core.Storage;
using KvDb.Core.Watch;

namespace KvDb.Node.Raft;

/// <summary>The state this member has applied.</summary>
public sealed class LocalState(RaftNode node)
{
    /// <summary>Completes once the member has started (its state machine exists).</summary>
    public Task Started => node.Started;

    /// <summary>Whether the member has started.</summary>
    public bool IsStarted => node.IsStarted;

    /// <summary>The key-value store the state machine applies to.</summary>
    public IKeyValueStore Store => node.StateMachine.Store;

    /// <summary>This member's Raft log, for reading committed entries.</summary>
    public WriteAheadLog Log => node.Log;

    /// <summary>The index of the last entry applied here.</summary>
    public long AppliedIndex => node.StateMachine.AppliedIndex;

    /// <summary>The index of the published snapshot, or 0.</summary>
    public long SnapshotIndex => node.StateMachine.SnapshotIndex;

    /// <summary>The newest change records, in memory (replaced when a snapshot is installed).</summary>
    public RecentChanges Recent => node.StateMachine.Recent;

    /// <summary>The leases of the applied state.</summary>
    public LeaseTable Leases => node.StateMachine.Leases;

    /// <summary>Streams the archive of the published snapshot at <paramref name="index"/>, or null when it is no longer published.</summary>
    public Stream? OpenSnapshotArchive(long index, CancellationToken token) => node.StateMachine.OpenSnapshotArchive(index, token);

    /// <summary>The storage engine, for taking a consistent checkpoint of it (backups).</summary>
    public StorageEngine CheckpointSource => node.StateMachine.Engine;

    /// <summary>A subscription that runs <paramref name="attach"/> once for each state machine this member opens.</summary>
    public MachineSubscription Subscribe(Action<KvStateMachine> attach) => new(node, attach);
}
