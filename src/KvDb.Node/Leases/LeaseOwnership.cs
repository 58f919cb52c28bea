// Who may use a lease (issue 26): with auth on, a lease belongs to the user who granted it, and
// only that user or root may keep it alive, attach keys to it, describe it or revoke it (and
// list it). To anyone else it is a lease that does not exist: the same 404, so ids tell nobody
// what others hold.
// Invariants:
//  - With auth off every caller may use every lease, and grants record no owner.
//  - A lease granted with auth off has no owner: once auth is on it is root's alone.
//  - A decision reads this member's applied lease table; a lease the member does not know yet
//    (granted through another member a moment ago) is looked up again after a linearizable
//    barrier, so a follower never refuses a lease its owner was just granted.
//  - Owners are names: a user deleted and created again under the same name owns the leases
//    the first one granted (they expire unless kept alive).
using KvDb.Core.Auth;
using KvDb.Core.Leases;
using KvDb.Node.Auth;
using KvDb.Node.HttpKit;
using KvDb.Node.Raft;

namespace KvDb.Node.Leases;

/// <summary>Who asks about a lease.</summary>
/// <param name="Name">The authenticated user's name; null with auth off.</param>
/// <param name="IsRoot">True for root, and for everyone with auth off.</param>
public readonly record struct LeaseCaller(string? Name, bool IsRoot)
{
    /// <summary>Anyone, with auth off.</summary>
    public static LeaseCaller AuthOff => new(null, IsRoot: true);

    /// <summary>The caller of <paramref name="context"/>.</summary>
    public static LeaseCaller Of(HttpContext context)
        => context.Features.Get<AuthenticatedCaller>() is { } caller ? new(caller.User.Name, AuthState.IsRoot(caller.User)) : AuthOff;

    /// <summary>Whether the caller may use <paramref name="lease"/>: its owner, or root.</summary>
    public bool Owns(LeaseInfo lease) => IsRoot || (Name is not null && string.Equals(lease.Owner, Name, StringComparison.Ordinal));
}

/// <summary>Decides whether a caller may use a lease, from this member's lease table.</summary>
public sealed class LeaseOwnership(LocalState state, KvService kv)
{
    /// <summary>
    /// Whether <paramref name="caller"/> may use lease <paramref name="id"/>: false when it is
    /// another user's, or does not exist (after a linearizable barrier). Root, and anyone with
    /// auth off, may use any lease; whether it exists is then left to the write that names it.
    /// </summary>
    /// <exception cref="UnavailableException">A lease this member does not know could not be looked up linearizably in time.</exception>
    public async ValueTask<bool> MayUseAsync(LeaseCaller caller, long id, CancellationToken token)
    {
        if (caller.IsRoot)
            return true;
        if (state.Leases.TryGet(id, out var lease))
            return caller.Owns(lease);
        using (await kv.OpenViewAsync(ReadConsistency.Linearizable, token).ConfigureAwait(false))
        {
        }

        return state.Leases.TryGet(id, out lease) && caller.Owns(lease);
    }
}
