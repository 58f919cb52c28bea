// AcquireLockAsync waited its whole timeout while others held the lock (kvdb answered 409 and
// left nothing queued; the client revoked the lease it had granted for the attempt).
using System.Net;

namespace KvDb.Client;

/// <summary>The lock was held by others for the whole timeout; nothing is left queued.</summary>
public sealed class KvLockTimeoutException : KvException
{
    /// <summary>Makes the exception.</summary>
    /// <param name="name">The lock's name.</param>
    /// <param name="timeout">How long the client waited.</param>
    /// <param name="detail">kvdb's detail, if any.</param>
    public KvLockTimeoutException(string name, TimeSpan timeout, string? detail = null)
        : base(HttpStatusCode.Conflict, "Lock not acquired", detail ?? $"Lock '{name}' was held by others for the whole timeout ({timeout.TotalSeconds:0.###} s).")
    {
        Name = name;
        Timeout = timeout;
    }

    /// <summary>The lock's name.</summary>
    public string Name { get; }

    /// <summary>How long the client waited.</summary>
    public TimeSpan Timeout { get; }
}
