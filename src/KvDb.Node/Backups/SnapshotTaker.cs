// Takes a consistent snapshot of this member's whole state for a backup: the storage engine's
// files at a flush point that holds every write acknowledged before the request.
// Invariants:
//  - A linearizable read barrier first (this member has applied at least the read index: every
//    write acknowledged anywhere before the call), then a flush of everything applied, then the
//    newest flush point is pinned. So the snapshot's revision is at least that read index.
//  - The pinned files cannot be deleted by compaction until the checkpoint is disposed; the
//    engine goes on applying and flushing meanwhile (a backup never stops writes).
using KvDb.Core.Backups;
using KvDb.Core.Storage;
using KvDb.Node.Hosting;
using KvDb.Node.Raft;
using KvDb.Node.Reads;
using KvDb.Node.Security;
using Microsoft.Extensions.Options;

namespace KvDb.Node.Backups;

/// <summary>Pins a linearizable snapshot of this member's state.</summary>
public sealed class SnapshotTaker(IReadBarrier barrier, LocalState state, ClusterIdentity identity, IOptions<MemberOptions> member)
{
    /// <summary>Waits for the read barrier, flushes, and pins the state; dispose the result when streamed.</summary>
    /// <exception cref="UnavailableException">No leader or quorum within the request timeout.</exception>
    public async Task<StorageCheckpoint> TakeAsync(CancellationToken token)
    {
        await barrier.WaitAsync(token).ConfigureAwait(false);
        var engine = state.CheckpointSource;
        await engine.FlushAsync(token).ConfigureAwait(false);
        return engine.OpenCheckpoint();
    }

    /// <summary>What a backup written here says about its origin.</summary>
    public BackupOrigin Origin => new(identity.Current, member.Value.Id, CommandLine.Version);
}
