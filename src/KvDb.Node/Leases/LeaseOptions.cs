// The leases feature's settings, bound from the member's flags (--max-leases,
// --request-timeout) by LeasesFeature.
namespace KvDb.Node.Leases;

/// <summary>Options of the leases feature.</summary>
public sealed class LeaseOptions
{
    /// <summary>The most live leases a member grants more beside (--max-leases).</summary>
    public int MaxLeases { get; set; } = 100_000;

    /// <summary>How long a call to the leader's lease clock may take (--request-timeout).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
