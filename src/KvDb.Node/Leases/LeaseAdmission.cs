// Whether a new lease may be granted: the one check every feature that grants leases (keys
// with a TTL, locks and campaigns without a lease of their own, POST /v1/leases) shares.
using KvDb.Node.HttpKit;
using KvDb.Node.Raft;
using Microsoft.Extensions.Options;

namespace KvDb.Node.Leases;

/// <summary>Admits or refuses new leases against --max-leases.</summary>
public sealed class LeaseAdmission(LocalState state, IOptions<LeaseOptions> options)
{
    /// <summary>429 when this member already knows --max-leases live leases; null when a grant may go ahead.</summary>
    public IResult? RefuseGrant()
    {
        var max = options.Value.MaxLeases;
        return state.Leases.Count < max
            ? null
            : Problems.Of(StatusCodes.Status429TooManyRequests, "Too many leases", $"{max} leases are alive (--max-leases); revoke some or wait for them to expire.");
    }
}
