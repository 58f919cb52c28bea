// A granted lease, kept alive by the client while the handle lives.
// Invariants:
//  - With automatic keep-alive, one background loop sends a keep-alive every third of the TTL,
//    through any member (the request pipeline fails over); each keep-alive may keep trying only
//    for the part of the TTL that is left since the last one that succeeded.
//  - Lost is cancelled exactly once, when the lease is known or presumed gone: a keep-alive
//    answered 404 (revoked by someone else, or expired), or no keep-alive succeeded for a whole
//    TTL (measured from the start of the last successful one, so the client never believes in a
//    lease longer than the leader does). Revoking or disposing through this handle, or
//    detaching it, never cancels Lost.
//  - DisposeAsync stops the loop and revokes the lease, unless it was detached or is lost; it
//    never throws for a lease that is already gone. The Lost source is never disposed, so its
//    token stays usable after the handle is.
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KvDb.Client;

/// <summary>A lease granted through <see cref="KvClient.GrantLeaseAsync"/>: its id, its TTL, and a token that fires when it is lost.</summary>
/// <remarks>
/// Attach keys with <see cref="KvWriteOptions.Lease"/> (or <see cref="Op.Put(string, string, long?)"/> in a transaction):
/// they are deleted when the lease ends. Dispose the handle to revoke the lease (deleting its
/// keys), or <see cref="Detach"/> it first to leave the lease to its TTL.
/// </remarks>
public sealed class KvLease : IAsyncDisposable
{
    private readonly KvClient client;
    private readonly ILogger logger;
    private readonly CancellationTokenSource lost = new();
    private readonly CancellationTokenSource stop = new();
    private readonly Task keepingAlive;
    private string? lossReason;
    private int ended;

    /// <param name="client">The client that granted it.</param>
    /// <param name="id">Its id.</param>
    /// <param name="ttl">Its TTL.</param>
    /// <param name="keepAlive">Whether to keep it alive in the background.</param>
    /// <param name="granted">When the grant was sent (<see cref="Stopwatch.GetTimestamp"/>): the TTL is counted from there, never later than the leader counts it.</param>
    /// <param name="logger">Where keep-alive failures and the loss are logged.</param>
    internal KvLease(KvClient client, long id, TimeSpan ttl, bool keepAlive, long granted, ILogger logger)
    {
        this.client = client;
        this.logger = logger;
        Id = id;
        Ttl = ttl;
        keepingAlive = keepAlive ? Task.Run(() => KeepAliveLoopAsync(granted, stop.Token)) : Task.CompletedTask;
    }

    /// <summary>The lease's id, for <see cref="KvWriteOptions.Lease"/>.</summary>
    public long Id { get; }

    /// <summary>The TTL the lease was granted with; each keep-alive restarts it.</summary>
    public TimeSpan Ttl { get; }

    /// <summary>
    /// Cancelled when the lease is lost: a keep-alive found it gone (revoked by someone else, or
    /// expired), or no keep-alive succeeded for a whole <see cref="Ttl"/>. Keys attached to it are
    /// then deleted (or about to be). Not cancelled by this handle's own <see cref="RevokeAsync"/>,
    /// <see cref="DisposeAsync"/> or <see cref="Detach"/>.
    /// </summary>
    public CancellationToken Lost => lost.Token;

    /// <summary>Why the lease was lost; null while it is not.</summary>
    public string? LossReason => Volatile.Read(ref lossReason);

    /// <summary>True once <see cref="Detach"/> was called.</summary>
    public bool IsDetached { get; private set; }

    /// <summary>Restarts the lease's TTL now (besides the automatic keep-alive).</summary>
    /// <param name="token">Cancels the keep-alive.</param>
    /// <returns>The time left, by the leader's clock: the whole TTL.</returns>
    /// <exception cref="KvLeaseNotFoundException">The lease no longer exists; <see cref="Lost"/> is cancelled.</exception>
    /// <exception cref="KvUnavailableException">No member could reach the leader in time.</exception>
    /// <exception cref="KvException">kvdb refused the keep-alive.</exception>
    public async ValueTask<TimeSpan> KeepAliveAsync(CancellationToken token = default)
    {
        try
        {
            return await client.KeepAliveLeaseAsync(Id, token).ConfigureAwait(false);
        }
        catch (KvLeaseNotFoundException e)
        {
            Lose("kvdb answered that it does not exist (revoked or expired): " + e.Detail);
            throw;
        }
    }

    /// <summary>Stops the keep-alive and revokes the lease: kvdb deletes every key attached to it, in one log entry.</summary>
    /// <param name="token">Cancels the revocation (its outcome is then unknown).</param>
    /// <returns>True when it was revoked; false when it no longer existed.</returns>
    /// <exception cref="KvUnavailableException">No member could take the revocation in time; the keep-alive has stopped, so the lease expires after its TTL at the latest.</exception>
    /// <exception cref="KvException">kvdb refused the revocation (e.g. 403: revoking needs write access to every attached key).</exception>
    public async ValueTask<bool> RevokeAsync(CancellationToken token = default)
    {
        Interlocked.Exchange(ref ended, 1);
        await StopKeepAliveAsync().ConfigureAwait(false);
        return await client.RevokeLeaseAsync(Id, token).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops the automatic keep-alive and makes <see cref="DisposeAsync"/> leave the lease alone:
    /// it lives until its TTL runs out (unless someone keeps it alive or revokes it by its <see cref="Id"/>).
    /// </summary>
    public void Detach()
    {
        IsDetached = true;
        stop.Cancel();
    }

    /// <summary>Stops the keep-alive and, unless the lease was detached, lost or revoked already, revokes it. Never throws for kvdb's answer: a lease that could not be revoked expires after its TTL.</summary>
    public async ValueTask DisposeAsync()
    {
        var first = Interlocked.Exchange(ref ended, 1) == 0;
        await StopKeepAliveAsync().ConfigureAwait(false);
        if (!first || IsDetached || lost.IsCancellationRequested)
            return;
        try
        {
            await client.RevokeLeaseAsync(Id, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is KvException or ObjectDisposedException)
        {
            // Nobody keeps it alive any more: it expires after its TTL.
            KvClientLog.KeepAliveFailed(logger, Id, "revoking it on dispose failed: " + e.Message, Ttl.TotalSeconds);
        }
    }

    private async Task StopKeepAliveAsync()
    {
        stop.Cancel();
        await keepingAlive.ConfigureAwait(false);
    }

    private async Task KeepAliveLoopAsync(long renewed, CancellationToken token)
    {
        var interval = Ttl / 3;
        try
        {
            while (true)
            {
                await Task.Delay(interval, token).ConfigureAwait(false);
                var left = Ttl - Stopwatch.GetElapsedTime(renewed);
                if (left <= TimeSpan.Zero)
                {
                    Lose($"no keep-alive succeeded for its whole TTL ({Ttl.TotalSeconds:0.###} s)");
                    return;
                }

                var started = Stopwatch.GetTimestamp();
                try
                {
                    await client.KeepAliveLeaseAsync(Id, left, token).ConfigureAwait(false);
                    renewed = started;
                }
                catch (KvLeaseNotFoundException)
                {
                    Lose("kvdb answered that it does not exist (revoked by someone else, or expired)");
                    return;
                }
                catch (KvException e)
                {
                    KvClientLog.KeepAliveFailed(logger, Id, e.Message, (Ttl - Stopwatch.GetElapsedTime(renewed)).TotalSeconds);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException)
        {
            // The client was disposed under the handle: nobody can keep the lease alive now.
            Lose("the KvClient was disposed");
        }
    }

    private void Lose(string reason)
    {
        if (Interlocked.CompareExchange(ref lossReason, reason, null) is not null)
            return;
        KvClientLog.LeaseLost(logger, Id, reason);
        try
        {
            lost.Cancel();
        }
        catch (AggregateException e)
        {
            // A callback registered on Lost threw: that is the callback's problem, not the lease's.
            KvClientLog.LeaseLost(logger, Id, "a callback on Lost threw: " + e.InnerException?.Message);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"lease {Id} ({Ttl.TotalSeconds:0.###} s)";
}
