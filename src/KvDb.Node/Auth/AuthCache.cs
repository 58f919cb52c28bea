// This member's copy of the replicated auth state (users, roles, settings), read on every
// request. Reloaded from the store after an applied entry changed it (or a snapshot was
// installed), so a request costs one volatile read while nothing changes.
// Invariants:
//  - Current is the state as of some applied index at or after the last auth change this
//    member applied, never an older one.
//  - Changed is raised after the change is counted, so a handler that reads Current sees the
//    change (StreamAccess re-checks open streams that way).
using KvDb.Core.Auth;
using KvDb.Node.Raft;

namespace KvDb.Node.Auth;

/// <summary>The auth state as this member has applied it.</summary>
public sealed class AuthCache
{
    private readonly Lock gate = new();
    private readonly LocalState state;
    private readonly MachineSubscription subscription;
    private Snapshot? current;

    // Counts auth changes applied here (and starts at 1: nothing read yet). A state read while
    // the count was N is current until the count moves on. A flag cleared before reading let
    // other readers take the previous state while the first one was still reading.
    private long changes = 1;

    /// <summary>A cache of the auth state <paramref name="state"/> applies.</summary>
    public AuthCache(LocalState state)
    {
        this.state = state;
        subscription = state.Subscribe(machine => machine.AuthChanged += () =>
        {
            Interlocked.Increment(ref changes);
            Changed?.Invoke();
        });
    }

    /// <summary>Raised on the applier's thread after an applied entry (or an installed snapshot) changed the auth state; keep handlers short.</summary>
    public event Action? Changed;

    /// <summary>The users, roles and settings as applied here; null until the member has started.</summary>
    public AuthState? Current
    {
        get
        {
            if (Volatile.Read(ref current) is { } snapshot && snapshot.Changes == Interlocked.Read(ref changes))
                return snapshot.State;
            return Reload();
        }
    }

    private AuthState? Reload()
    {
        if (!state.IsStarted)
            return null;

        subscription.Ensure();
        lock (gate)
        {
            // Counted before reading: a change applied during the read makes the next reader read again.
            var seen = Interlocked.Read(ref changes);
            if (Volatile.Read(ref current) is { } snapshot && snapshot.Changes == seen)
                return snapshot.State;
            using var view = state.Store.OpenView();
            var read = AuthState.Read(view);
            Volatile.Write(ref current, new Snapshot(read, seen));
            return read;
        }
    }

    private sealed record Snapshot(AuthState State, long Changes);
}
