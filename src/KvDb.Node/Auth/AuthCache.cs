// This member's copy of the replicated auth state (users, roles, settings), read on every
// request. Reloaded from the store after an applied entry changed it (or a snapshot was
// installed), so a request costs one volatile read while nothing changes.
// Invariants:
//  - Current is the state as of some applied index at or after the last auth change this
//    member applied, never an older one.
//  - Changed is raised after the cache is marked stale, so a handler that reads Current sees
//    the change (StreamAccess re-checks open streams that way).
using KvDb.Core.Auth;
using KvDb.Node.Raft;

namespace KvDb.Node.Auth;

/// <summary>The auth state as this member has applied it.</summary>
public sealed class AuthCache
{
    private readonly Lock gate = new();
    private readonly LocalState state;
    private readonly MachineSubscription subscription;
    private AuthState? current;
    private volatile bool stale = true;

    /// <summary>A cache of the auth state <paramref name="state"/> applies.</summary>
    public AuthCache(LocalState state)
    {
        this.state = state;
        subscription = state.Subscribe(machine => machine.AuthChanged += () =>
        {
            stale = true;
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
            if (!stale && Volatile.Read(ref current) is { } state)
                return state;
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
            // Cleared before reading: a change applied during the read marks it stale again.
            stale = false;
            using var view = state.Store.OpenView();
            var read = AuthState.Read(view);
            Volatile.Write(ref current, read);
            return read;
        }
    }
}
