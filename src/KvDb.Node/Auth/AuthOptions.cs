// The auth feature's settings, bound from the member's flags (--open-probes, --auth-token-ttl,
// --rehash-passwords)
// by AuthFeature.
namespace KvDb.Node.Auth;

/// <summary>Options of the auth feature.</summary>
public sealed class AuthOptions
{
    /// <summary>Whether probes (/readyz, /metrics, …) stay open to anyone while auth is on.</summary>
    public bool OpenProbes { get; set; } = true;

    /// <summary>How long an issued token is valid.</summary>
    public TimeSpan TokenTtl { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Whether a login with a hash of an earlier kind proposes a stronger one (a log entry earlier releases cannot apply).</summary>
    public bool RehashPasswords { get; set; } = true;
}
