// Wakes watchers when this member applies entries. Watchers read the change history from the
// store themselves (ChangeHistory), so there is no per-watcher queue here: a watcher that
// falls behind costs a cursor, not memory.
// Invariant: a waiter that takes Changed() and then finds nothing new is woken by the next
// applied entry (the task is taken before the check, so no wake-up is lost).

using KvDb.Node.Raft;

namespace KvDb.Node.Watch;

/// <summary>Signals applied entries to watchers.</summary>
public sealed class ChangeFeed
{
    private readonly LocalState state;
    private readonly MachineSubscription subscription;
    private TaskCompletionSource? waiting;

    /// <summary>A feed of the entries <paramref name="state"/> applies.</summary>
    public ChangeFeed(LocalState state)
    {
        this.state = state;
        subscription = state.Subscribe(machine => machine.Applied += _ => Interlocked.Exchange(ref waiting, null)?.TrySetResult());
    }

    /// <summary>The index of the last entry applied here (0 before the member has started).</summary>
    public long AppliedIndex => state.IsStarted ? state.AppliedIndex : 0;

    /// <summary>Completes when the next entry is applied here.</summary>
    public Task Changed()
    {
        subscription.Ensure();
        var current = Volatile.Read(ref waiting);
        if (current is null)
        {
            var fresh = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            current = Interlocked.CompareExchange(ref waiting, fresh, null) ?? fresh;
        }

        return current.Task;
    }

    /// <summary>Waits until an entry after <paramref name="index"/> is applied here, or <paramref name="timeout"/> passes.</summary>
    /// <returns>True when one was applied.</returns>
    public async Task<bool> WaitForAppliedAfterAsync(long index, TimeSpan timeout, CancellationToken token)
    {
        var changed = Changed();
        if (AppliedIndex > index)
            return true;
        try
        {
            await changed.WaitAsync(timeout, token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }

        return AppliedIndex > index;
    }
}
