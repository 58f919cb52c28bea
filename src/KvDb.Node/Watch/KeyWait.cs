// Consul-style blocking reads of one key: GET /v1/kv/{key}?index=R&wait=30s answers as soon as
// the key has changed after revision R (a write or a delete), or when wait runs out.
// Invariants:
//  - A change is a write (the key's revision is above R) or a delete (the change history has a
//    delete of the key above R); an index older than the history answers at once, since a
//    change may have been forgotten.
//  - The wait rides the watch hub: a single-key watcher attached at R is offered only changes
//    of that key, so a thousand long polls cost nothing per unrelated write. When the hub cannot
//    take it (R older than its in-memory tail), the wait falls back to scanning the history
//    applied since the previous look, waking on each applied entry.
using KvDb.Core.Watch;
using KvDb.Node.Raft;

namespace KvDb.Node.Watch;

/// <summary>Waits for one key to change.</summary>
public sealed class KeyWait(LocalState state, ChangeFeed feed, WatchHub hub)
{
    /// <summary>The longest wait a request may ask for.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(5);

    /// <summary>Waits until <paramref name="key"/> changes after revision <paramref name="index"/>, or <paramref name="wait"/> passes.</summary>
    public async Task WaitAsync(byte[] key, long index, TimeSpan wait, CancellationToken token)
    {
        var deadline = DateTime.UtcNow + wait;
        var watcher = new Watcher(new KeyFilter(key, null, SingleKey: true));
        if (hub.TryAttach(watcher, index))
        {
            try
            {
                await WaitForChangeAsync(watcher, deadline, token).ConfigureAwait(false);
                return;
            }
            finally
            {
                hub.Detach(watcher);
            }
        }

        await ScanUntilChangedAsync(key, index, deadline, token).ConfigureAwait(false);
    }

    // The watcher was attached at the wait's index, so anything it is offered is a change after it.
    private static async Task WaitForChangeAsync(Watcher watcher, DateTime deadline, CancellationToken token)
    {
        var changes = new List<(long Revision, ChangeEvent Change)>();
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await watcher.WaitAsync(left, token).ConfigureAwait(false))
                return;
            watcher.Drain(changes);
            if (watcher.Dropped || changes.Count > 0)
                return;
        }
    }

    private async Task ScanUntilChangedAsync(byte[] key, long index, DateTime deadline, CancellationToken token)
    {
        var storeKey = Core.State.StoreKeys.ForUser(key);
        var scanned = index;
        while (true)
        {
            using (var view = state.Store.OpenView())
            {
                if (view.TryGet(storeKey, out var record) && record is not null && Core.State.UserRecord.Revision(record) > index)
                    return;
                if (ChangeHistory.CompactedRevision(view) > index)
                    return;
                foreach (var (_, change) in ChangeHistory.After(view, scanned))
                {
                    if (Array.Exists(change.Events, e => e.Key.AsSpan().SequenceEqual(key)))
                        return;
                }

                scanned = long.Max(scanned, view.Index);
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                return;
            await feed.WaitForAppliedAfterAsync(scanned, left, token).ConfigureAwait(false);
        }
    }
}
