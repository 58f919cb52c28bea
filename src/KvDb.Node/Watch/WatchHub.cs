// Hands each applied change to the watches that follow its key, once for all of them: one loop
// reads the in-memory tail of the history (RecentChanges) as entries apply and offers every
// record to the registered watchers, so a thousand watches cost one read and a filter check
// each, not a thousand scans of the store.
// Invariants:
//  - Position is the last revision offered to every registered watcher; it is published only
//    after that revision's changes are queued, so a watcher that reads Position and then drains
//    its queue has every matching change up to Position.
//  - A watcher is registered at the revision its stream has written up to; the hub first
//    offers it what lies between that and Position, so nothing falls in the gap.
//  - When the tail no longer covers Position (the loop fell behind, a snapshot was installed,
//    the member restarted its state machine), every watcher is dropped at Position and catches
//    up from the store by itself: never a gap, never a duplicate.
using KvDb.Node.Observability;
using KvDb.Node.Raft;

namespace KvDb.Node.Watch;

/// <summary>Dispatches applied changes to registered watchers.</summary>
public sealed partial class WatchHub(LocalState state, ChangeFeed feed, ILogger<WatchHub> logger) : BackgroundService
{
    private readonly Lock gate = new();
    private readonly List<Watcher> watchers = [];
    private readonly List<(long Revision, Core.Watch.ChangeRecord Record)> scratch = [];
    private Core.Watch.RecentChanges? tail;
    private long position;
    private int open;

    /// <summary>The last revision offered to every registered watcher.</summary>
    public long Position => Volatile.Read(ref position);

    /// <summary>How many watch streams are open on this member, attached or catching up.</summary>
    public int Open => Volatile.Read(ref open);

    /// <summary>Counts a watch stream that starts.</summary>
    public void StreamOpened()
    {
        Interlocked.Increment(ref open);
        WatchInstruments.OpenWatches.Add(1);
    }

    /// <summary>Counts a watch stream that ended.</summary>
    public void StreamClosed()
    {
        Interlocked.Decrement(ref open);
        WatchInstruments.OpenWatches.Add(-1);
    }

    /// <summary>How many watchers are registered.</summary>
    public int Count
    {
        get { lock (gate) return watchers.Count; }
    }

    /// <summary>Registers <paramref name="watcher"/>, whose stream has written every change up to <paramref name="revision"/>; false when the hub cannot take it yet (the stream catches up more and tries again).</summary>
    public bool TryAttach(Watcher watcher, long revision)
    {
        lock (gate)
        {
            if (tail is null || !state.IsStarted || !ReferenceEquals(tail, state.Recent))
                return false;
            watcher.Attach(revision);
            if (revision < position)
            {
                scratch.Clear();
                if (!tail.TryRead(revision, position, scratch, out var covered) || covered < position)
                    return false;
                foreach (var (at, record) in scratch)
                {
                    if (!watcher.Offer(at, record))
                    {
                        watcher.Forget();
                        return false;
                    }
                }
            }

            watchers.Add(watcher);
            return true;
        }
    }

    /// <summary>Unregisters <paramref name="watcher"/> (its stream ended, or it was dropped).</summary>
    public void Detach(Watcher watcher)
    {
        lock (gate)
            watchers.Remove(watcher);
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (state.IsStarted)
                    Dispatch(state.Recent);
                await feed.WaitForAppliedAfterAsync(Position, TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A watcher must never be left waiting for changes the hub will not send.
                LogDispatchFailed(e);
                lock (gate)
                    DropAll();
            }
        }
    }

    private void Dispatch(Core.Watch.RecentChanges recent)
    {
        lock (gate)
        {
            if (!ReferenceEquals(recent, tail))
            {
                DropAll();
                tail = recent;
                Volatile.Write(ref position, recent.Through);
                return;
            }

            scratch.Clear();
            if (!recent.TryRead(position, long.MaxValue, scratch, out var covered))
            {
                DropAll();
                Volatile.Write(ref position, recent.Through);
                return;
            }

            foreach (var (revision, record) in scratch)
            {
                for (var i = watchers.Count - 1; i >= 0; i--)
                {
                    if (!watchers[i].Offer(revision, record))
                    {
                        watchers.RemoveAt(i);
                        WatchInstruments.WatchesFellBehind.Add(1);
                    }
                }
            }

            scratch.Clear();
            Volatile.Write(ref position, long.Max(position, covered));
        }
    }

    private void DropAll()
    {
        foreach (var watcher in watchers)
            watcher.Drop(position);
        watchers.Clear();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Dispatching changes to watchers failed; every watcher catches up from the store")]
    private partial void LogDispatchFailed(Exception e);
}
