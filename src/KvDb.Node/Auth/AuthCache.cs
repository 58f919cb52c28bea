// This member's copy of the replicated auth state (users, roles, settings), read on every
// request. Reloaded from the store after an applied entry changed it (or a snapshot was
// installed), so a request costs one volatile read while nothing changes.
// Invariant: Current is the state as of some applied index at or after the last auth change
// this member applied, never an older one.
using KvDb.Core.Auth;
using KvDb.Node.Raft;

namespace KvDb.Node.Auth;

/// <summary>The auth state as this member has applied it.</summary>
public sealed class AuthCache(RaftNode node)
{
    private readonly Lock gate = new();
    private AuthState? current;
    private object? watched;
    private volatile bool stale = true;

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
        if (!node.IsStarted)
            return null;

        lock (gate)
        {
            var machine = node.StateMachine;
            if (!ReferenceEquals(watched, machine))
            {
                machine.AuthChanged += () => stale = true;
                watched = machine;
            }

            // Cleared before reading: a change applied during the read marks it stale again.
            stale = false;
            using var view = machine.Store.OpenView();
            var state = AuthState.Read(view);
            Volatile.Write(ref current, state);
            return state;
        }
    }
}
