// Waiting for the engine's state to change without blocking a thread: room to write, a flush
// becoming durable, background work ending. The Raft applier calls these, and a blocked
// applier thread would stall every other member's progress through this one.
// Invariants:
//  - Every change that can end a wait (a new ReadState published, a background failure, the
//    engine closing) completes stateChanged and replaces it, under stateGate, in Signal; the
//    Monitor waits of the synchronous paths are pulsed at the same moments.
//  - A waiter reads its condition and takes the current stateChanged task under stateGate,
//    so it cannot miss a change that happens between the two.
//  - Every wait also wakes up once a second (as the synchronous WaitWhile does): a change that
//    is not signalled (none is known) delays a waiter, never strands it.
namespace KvDb.Core.Storage;

public sealed partial class StorageEngine : IAsyncDisposable
{
    private static readonly TimeSpan Recheck = TimeSpan.FromSeconds(1);

    private TaskCompletionSource stateChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// True when the next <see cref="Apply"/> would wait for a flush or a compaction (the memtable
    /// is full while the previous one is still being flushed, or level 0 has too many tables).
    /// A hint read without locks; <see cref="WaitForWriteRoomAsync"/> decides under the lock.
    /// </summary>
    public bool MustWaitForRoom => WriteStalled();

    /// <summary>
    /// Completes once <see cref="Apply"/> would not wait. The caller is the only writer, so the
    /// condition cannot come back before its next Apply: flushes and compactions only make room.
    /// </summary>
    /// <exception cref="IOException">Background work failed; the engine refuses writes.</exception>
    public async ValueTask WaitForWriteRoomAsync(CancellationToken token = default)
    {
        while (true)
        {
            Task changed;
            lock (stateGate)
            {
                ThrowIfUnusable();
                if (!WriteStalled())
                    return;
                changed = stateChanged.Task;
            }

            await WaitForChangeAsync(changed, token).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Makes everything applied so far durable: freezes the memtable, writes it as a level-0
    /// table, fsyncs it and records the applied index in a new manifest; awaits each step
    /// without blocking a thread (<see cref="Flush"/> is its blocking form).
    /// </summary>
    public async Task FlushAsync(CancellationToken token = default)
    {
        ApplyPoint target;
        int startEpoch;
        while (true)
        {
            Task changed;
            lock (writeLock)
            {
                ThrowIfUnusable();
                target = mutable.AppliedPoint;
                lock (stateGate)
                {
                    startEpoch = epoch;
                    if (target.Index <= DurableIndex)
                        return;
                    if (!mutable.HasAppliedBatches || immutable is null)
                    {
                        if (mutable.HasAppliedBatches)
                            SwitchMemtable();
                        break;
                    }

                    changed = stateChanged.Task;
                }
            }

            // The previous memtable is still being flushed; try again once it is.
            await WaitForChangeAsync(changed, token).ConfigureAwait(false);
        }

        while (true)
        {
            Task changed;
            lock (stateGate)
            {
                ThrowIfUnusable();
                if (DurableIndex >= target.Index || epoch != startEpoch)
                    return;
                changed = stateChanged.Task;
            }

            await WaitForChangeAsync(changed, token).ConfigureAwait(false);
        }
    }

    /// <summary>Closes the engine as <see cref="Dispose"/> does, awaiting background work instead of blocking on it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!BeginClose())
            return;
        await Task.WhenAll(flusher.WhenIdle(), compactor.WhenIdle()).ConfigureAwait(false);
        EndClose();
    }

    private bool WriteStalled()
        => Level0Overloaded() || (mutable.ApproximateBytes >= options.MemtableBytes && immutable is not null);

    /// <summary>Wakes every waiter, synchronous and asynchronous; call with stateGate held.</summary>
    private void Signal()
    {
        Monitor.PulseAll(stateGate);
        var changed = stateChanged;
        stateChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    private static async Task WaitForChangeAsync(Task changed, CancellationToken token)
    {
        try
        {
            await changed.WaitAsync(Recheck, token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Look again: see the invariants above.
        }
    }
}
