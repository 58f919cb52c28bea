// DotNext's write-ahead log, changed in one respect: a follower acknowledges entries it
// appended for the leader only once they are flushed to its disk.
// Why: DotNext 6.12's RaftCluster answers an AppendEntries request after the entries are in
// the log's memory-mapped pages and the *leader's previous* commit index is flushed; the new
// entries reach disk (msync, then raft/checkpoint) in the background a little later. The
// leader counts that answer towards a majority and may acknowledge the write to a client. A
// follower killed or losing power in between restarts at raft/checkpoint's last index, having
// forgotten entries it acknowledged; if the other followers forgot them too (all members
// crashing at once), they could elect a leader without an acknowledged write. Raft's safety
// argument assumes a member never forgets what it acknowledged; this restores that.
// Invariants:
//  - Only the appends of replicated entries (AppendEntries from a leader) wait for the flush;
//    heartbeats carry no entries and do not wait. The leader's own appends are unchanged: the
//    leader flushes before it commits anyway.
//  - One flush covers every entry appended so far, so concurrent appends share it (group commit).
//  - Everything else is DotNext's WriteAheadLog, reached through interface re-implementation:
//    DotNext calls the log through IAuditTrail<IRaftLogEntry>, and only this one method of that
//    interface is mapped here.
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace KvDb.Node.Raft;

/// <summary>A <see cref="WriteAheadLog"/> whose replicated appends are durable before they are acknowledged.</summary>
public sealed class DurableAppendLog(WriteAheadLog.Options options, IStateMachine stateMachine)
    : WriteAheadLog(options, stateMachine), IAuditTrail<IRaftLogEntry>
{
    /// <summary>Appends entries from the leader, then waits until they are on disk.</summary>
    async ValueTask IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(ILogEntryProducer<TEntry> entries, long startIndex, bool skipCommitted, CancellationToken token)
    {
        var count = entries.RemainingCount;
        await AppendAsync(entries, startIndex, skipCommitted, token).ConfigureAwait(false);
        if (count > 0)
            await FlushAsync(token).ConfigureAwait(false);
    }
}
