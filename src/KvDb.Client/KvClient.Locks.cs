// KvClient's locks (/v1/locks): acquire a lock as a KvLock handle that keeps its lease alive.
// Invariants: the client grants the lock's lease itself (so it can keep it alive while it waits,
// and a retried request keeps its place); on any failure or cancellation it revokes that lease,
// which removes its key from the queue.
using System.Globalization;
using System.Net;
using KvDb.Contracts;

namespace KvDb.Client;

public sealed partial class KvClient
{
    /// <summary>Waits until this client holds lock <paramref name="name"/>, and keeps holding it while the handle lives.</summary>
    /// <param name="name">The lock's name: 1 to 256 characters without '/'. Its keys live under <c>_locks/{name}/</c>.</param>
    /// <param name="ttl">The TTL of the lock's lease (1 s to 7 days): if this process dies, the lock is released that long after the last keep-alive.</param>
    /// <param name="timeout">How long to wait for the lock; null to wait until <paramref name="token"/> is cancelled (in rounds of 5 minutes, each of which joins the queue again at its end).</param>
    /// <param name="token">Cancels the wait (nothing is left queued).</param>
    /// <returns>The held lock; dispose it to release the lock.</returns>
    /// <remarks>Waiters are served in the order they asked. A lock that cannot be had in time throws rather than answering null, so a caller cannot mistake it for a held lock.</remarks>
    /// <exception cref="KvLockTimeoutException">Others held the lock for the whole <paramref name="timeout"/>; nothing is left queued.</exception>
    /// <exception cref="KvLeaseNotFoundException">The lock's lease was lost while waiting (the cluster was unreachable for a whole TTL, or someone revoked it).</exception>
    /// <exception cref="KvUnavailableException">No member could take the request in time.</exception>
    /// <exception cref="KvException">kvdb refused the request (e.g. 403 without write access to <c>_locks/{name}/</c>).</exception>
    public async ValueTask<KvLock> AcquireLockAsync(string name, TimeSpan ttl, TimeSpan? timeout = null, CancellationToken token = default)
    {
        ValidateQueueName(name, nameof(name));
        LeaseTtl.Validate(ttl, nameof(ttl));
        if (timeout is { } wait && wait <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be positive (or null to wait until cancelled).");
        ThrowIfDisposed();

        var lease = await GrantLeaseAsync(ttl, null, token).ConfigureAwait(false);
        try
        {
            var path = "v1/locks/" + Uri.EscapeDataString(name) + "?lease=" + lease.Id.ToString(CultureInfo.InvariantCulture) + "&timeout=";
            var held = await WaitInQueueAsync("lock", (baseUri, waitText) => new HttpRequestMessage(HttpMethod.Post, new Uri(baseUri, path + waitText)), KvDbJsonContext.Default.LockHeldJson, lease, timeout, token).ConfigureAwait(false)
                ?? throw new KvLockTimeoutException(name, timeout ?? TimeSpan.Zero);
            var owned = new OwnedKey(this, lease, held.Key, held.Revision, logger);
            return new KvLock(name, owned);
        }
        catch
        {
            await lease.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
