// What a lock holder and an election leader have in common: a key in an ownership queue,
// attached to a lease this client keeps alive, and a token that fires when either goes.
// Invariants:
//  - Lost is cancelled when the lease is lost (KvLease.Lost) or the key is deleted (a watch on
//    the key from its create revision: someone released it, or revoked the lease), whichever
//    comes first; never by this handle's own release.
//  - ReleaseAsync stops the watch and revokes the lease, which deletes the key in one log entry,
//    so the next contender is served at once. It runs once; later calls return at once.
using Microsoft.Extensions.Logging;

namespace KvDb.Client;

/// <summary>A key held in an ownership queue (a lock's or an election's), with its lease.</summary>
internal sealed class OwnedKey : IAsyncDisposable
{
    private readonly KvClient client;
    private readonly CancellationTokenSource lost;
    private readonly CancellationTokenSource stopWatching = new();
    private readonly Task watching;
    private int released;

    public OwnedKey(KvClient client, KvLease lease, string key, long revision, ILogger logger)
    {
        this.client = client;
        Lease = lease;
        Key = key;
        Revision = revision;
        lost = CancellationTokenSource.CreateLinkedTokenSource(lease.Lost);
        watching = Task.Run(() => WatchForDeleteAsync(logger, stopWatching.Token));
    }

    /// <summary>The lease the key is attached to, kept alive by this client.</summary>
    public KvLease Lease { get; }

    /// <summary>The key.</summary>
    public string Key { get; }

    /// <summary>The key's create revision.</summary>
    public long Revision { get; }

    /// <summary>Cancelled when the key or its lease is gone.</summary>
    public CancellationToken Lost => lost.Token;

    /// <summary>Deletes the key by revoking its lease; false when the lease was gone already.</summary>
    public async ValueTask<bool> ReleaseAsync(CancellationToken token)
    {
        if (Interlocked.Exchange(ref released, 1) != 0)
            return false;
        stopWatching.Cancel();
        await watching.ConfigureAwait(false);
        stopWatching.Dispose();
        if (Lease.Lost.IsCancellationRequested)
        {
            await Lease.DisposeAsync().ConfigureAwait(false);
            return false;
        }

        return await Lease.RevokeAsync(token).ConfigureAwait(false);
    }

    /// <summary>Releases, never throwing for kvdb's answer (the lease then expires after its TTL).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref released, 1) != 0)
            return;
        stopWatching.Cancel();
        await watching.ConfigureAwait(false);
        stopWatching.Dispose();
        await Lease.DisposeAsync().ConfigureAwait(false);
    }

    private async Task WatchForDeleteAsync(ILogger logger, CancellationToken token)
    {
        var after = Revision;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token, Lease.Lost);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await foreach (var change in client.WatchAsync(Key, after, null, stop.Token).ConfigureAwait(false))
                {
                    if (change.Type is WatchEventType.Delete)
                    {
                        Lose(logger, $"its key {Key} was deleted at revision {change.Revision}");
                        return;
                    }

                    after = change.Revision;
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (KvCompactedException)
            {
                // The history no longer reaches back to `after`: see whether the key is still there, and watch from that read.
                if (await ReadAsync(stop.Token).ConfigureAwait(false) is { } revision)
                    after = revision;
                else if (!stop.IsCancellationRequested)
                    Lose(logger, $"its key {Key} is gone");
            }
            catch (Exception e) when (e is KvException or ObjectDisposedException && !stop.IsCancellationRequested)
            {
                // The cluster is unreachable (or the client gone): the lease's keep-alive decides whether that loses the key.
                if (!await PauseAsync(stop.Token).ConfigureAwait(false))
                    return;
            }
        }
    }

    // The revision of a read that still holds the key, or null when the key is gone (or the read was stopped).
    private async ValueTask<long?> ReadAsync(CancellationToken token)
    {
        while (true)
        {
            try
            {
                var page = await client.ReadRangePageAsync(Key, null, 1, ReadConsistency.Linearizable, token).ConfigureAwait(false);
                return page.Items is [var item] && item.Key == Key ? page.Revision : null;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return null;
            }
            catch (Exception e) when (e is KvException or ObjectDisposedException)
            {
                if (!await PauseAsync(token).ConfigureAwait(false))
                    return null;
            }
        }
    }

    // Waits a second before the next try; false when stopped meanwhile.
    private static async ValueTask<bool> PauseAsync(CancellationToken token)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1), token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void Lose(ILogger logger, string reason)
    {
        KvClientLog.LeaseLost(logger, Lease.Id, reason);
        try
        {
            lost.Cancel();
        }
        catch (AggregateException)
        {
            // A callback registered on Lost threw: not the key's problem.
        }
    }
}
