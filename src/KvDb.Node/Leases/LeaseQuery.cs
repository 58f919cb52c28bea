// The lease parameters of a key write: ?lease=ID attaches the key to an existing lease, ?ttl=30s
// grants a new lease and attaches the key to it in the same log entry (the key lives 30 s
// unless the lease, named in X-Kvdb-Lease, is kept alive).
namespace KvDb.Node.Leases;

/// <summary>Reads ?lease= and ?ttl= of a put.</summary>
public static class LeaseQuery
{
    /// <summary>The header naming the lease a put attached its key to.</summary>
    public const string LeaseHeader = "X-Kvdb-Lease";

    /// <summary>The lease to attach (0 for none) and the TTL to grant it with (0 when it exists); or an error for a 400.</summary>
    public static (long Lease, long GrantTtlMs, string? Error) Parse(HttpRequest request, string? idempotencyKey)
    {
        var query = request.Query;
        var leaseText = query["lease"].ToString();
        var ttlText = query["ttl"].ToString();
        if (leaseText.Length > 0 && ttlText.Length > 0)
            return (0, 0, "Give lease= (an existing lease) or ttl= (a new one), not both.");
        if (leaseText.Length > 0)
            return LeaseEndpoints.ParseId(leaseText) is { } id ? (id, 0, null) : (0, 0, "lease must be a lease id (a positive whole number), as POST /v1/leases answered.");
        if (ttlText.Length > 0)
        {
            var (ttl, error) = LeaseEndpoints.ParseTtl(ttlText);
            return ttl is { } lifetime ? (LeaseEndpoints.NewId(idempotencyKey), (long)lifetime.TotalMilliseconds, null) : (0, 0, error);
        }

        return (0, 0, null);
    }
}
