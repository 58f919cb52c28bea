// The queue behind locks and elections (etcd's concurrency recipe): each contender writes its
// own key under a shared prefix, attached to its lease; the key with the lowest create revision
// owns the lock (or leads). A contender waits for the key just ahead of it to be deleted (its
// holder released, or its lease was revoked or expired), then looks again.
// Invariants:
//  - Contenders are served in the order their keys were created (request order), and the owner's
//    create revision strictly increases from owner to owner: a fencing token a transaction can
//    compare with.
//  - Waiting watches the key ahead through the watch hub; a watch it cannot attach falls back to
//    waking on applied entries. It never sleeps on a timer.
//  - A contender that gives up (timeout or the client left) deletes its key, so it never blocks
//    the queue; a lease it granted for itself is revoked with it.
//  - A lease the queue granted (ttl=) is kept alive while its request waits: the open request
//    is the client's presence. Once the lock is held, the client keeps it alive. A contender
//    whose key disappears while it waits (its lease revoked or expired) fails with
//    LeaseMissingException, not as a timeout.
//  - A contender names only a lease it may use (LeaseOwnership; another user's is missing to
//    it), and a lease the queue grants belongs to the contender.
//  - Release removes only what the queue made (issue 26): it revokes a lease only when the key
//    is one the queue wrote with a lease it granted for it (the key's name says that lease,
//    the key is attached to it, and the lease was granted by the entry that created the key,
//    which only a put with ttl= does) and the caller owns that lease. Any other key is only
//    deleted, as the caller could delete it anyway.
using System.Diagnostics.CodeAnalysis;
using KvDb.Core.Commands;
using KvDb.Core.Leases;
using KvDb.Core.State;
using KvDb.Core.Transactions;
using KvDb.Node.HttpKit;
using KvDb.Node.Raft;
using KvDb.Node.Watch;

namespace KvDb.Node.Locks;

/// <summary>A contender's key in a queue.</summary>
/// <param name="Key">The key (prefix + lease id in hex).</param>
/// <param name="Revision">Its create revision: the fencing token once it owns the queue.</param>
/// <param name="Lease">The lease it is attached to.</param>
public sealed record QueueEntry(string Key, long Revision, long Lease);

/// <summary>Joins and waits in ownership queues.</summary>
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "Locks and elections stand in a queue of keys (docs/api/locks-and-elections.md), and this type runs those queues; it is not a collection.")]
public sealed class OwnershipQueue(KvService kv, WatchHub hub, ChangeFeed feed, Leases.LeaseForwarder leases, Leases.LeaseOwnership ownership)
{
    // A key whose lease the queue granted itself ends in this mark (revoked on release, not just deleted).
    private const char GrantedMark = 'g';

    /// <summary>
    /// Writes <paramref name="caller"/>'s key under <paramref name="prefix"/> (granting it a lease
    /// of <paramref name="grantTtlMs"/> when <paramref name="lease"/> is 0) and waits until it is
    /// the oldest key there. Null when <paramref name="timeout"/> passed first (the key is removed).
    /// </summary>
    /// <exception cref="LeaseMissingException">The lease named does not exist, or is not the caller's to use.</exception>
    public async Task<QueueEntry?> JoinAndWaitAsync(string prefix, long lease, long grantTtlMs, string? value, TimeSpan timeout, Leases.LeaseCaller caller, CancellationToken token)
    {
        var granted = lease == 0;
        if (!granted && !await ownership.MayUseAsync(caller, lease, token).ConfigureAwait(false))
            throw new LeaseMissingException(lease);
        var id = granted ? Leases.LeaseEndpoints.NewId(null) : lease;
        var key = prefix + id.ToString("x16", System.Globalization.CultureInfo.InvariantCulture) + (granted ? GrantedMark.ToString() : "");
        var keyBytes = System.Text.Encoding.UTF8.GetBytes(key);
        var stored = System.Text.Encoding.UTF8.GetBytes(value ?? "");
        var put = new PutCommand
        {
            Key = keyBytes, Value = stored, Lease = id, GrantTtlMs = granted ? grantTtlMs : 0, GrantOwner = granted ? caller.Name : null,
            Condition = new Precondition { MustNotExist = true },
        };
        var written = await kv.WriteAsync(put, token).ConfigureAwait(false);
        var revision = written.Outcome switch
        {
            CommandOutcome.Applied => written.Revision,
            CommandOutcome.PreconditionFailed => await CreateRevisionAsync(keyBytes, token).ConfigureAwait(false),
            CommandOutcome.LeaseNotFound => throw new LeaseMissingException(id),
            _ => throw new UnavailableException($"Could not join the queue ({written.Outcome}); retry."),
        };

        var entry = new QueueEntry(key, revision, id);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(timeout);
        var keepAlive = granted ? KeepAliveAsync(id, grantTtlMs, deadline.Token) : Task.CompletedTask;
        try
        {
            await WaitUntilFirstAsync(prefix, entry, deadline.Token).ConfigureAwait(false);
            return entry;
        }
        catch (Exception e) when (e is OperationCanceledException or LeaseMissingException)
        {
            await LeaveAsync(entry, granted, CancellationToken.None).ConfigureAwait(false);
            if (e is LeaseMissingException || token.IsCancellationRequested)
                throw;
            return null;
        }
        finally
        {
            await deadline.CancelAsync().ConfigureAwait(false);
            await keepAlive.ConfigureAwait(false);
        }
    }

    // Renews a lease the queue granted, three times a TTL, until the wait ends. A renewal that
    // fails (no leader for a moment) is tried again at the next tick.
    private async Task KeepAliveAsync(long id, long ttlMs, CancellationToken token)
    {
        using var ticks = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(ttlMs / 3, 100)));
        try
        {
            while (await ticks.WaitForNextTickAsync(token).ConfigureAwait(false))
            {
                try
                {
                    await leases.AskAsync(id, renew: true, token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The wait itself notices a lease that is really gone (its key goes with it).
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Removes <paramref name="key"/> from its queue, revoking the lease the queue granted for it
    /// when <paramref name="caller"/> owns that lease (see the invariants); false when the key was
    /// not there.
    /// </summary>
    public async Task<bool> ReleaseAsync(string key, Leases.LeaseCaller caller, CancellationToken token)
    {
        var keyBytes = System.Text.Encoding.UTF8.GetBytes(key);
        QueueEntry entry;
        bool revoke;
        using (var view = await kv.OpenViewAsync(ReadConsistency.Linearizable, token).ConfigureAwait(false))
        {
            if (!view.TryGet(StoreKeys.ForUser(keyBytes), out var record) || record is null)
                return false;
            var stored = StoredValue.Decode(record);
            revoke = GrantedFor(view, key, stored) is { } lease && caller.Owns(lease);
            entry = new QueueEntry(key, stored.CreateRevision, stored.Lease);
        }

        await LeaveAsync(entry, revoke, token).ConfigureAwait(false);
        return true;
    }

    // The lease the queue granted for this very key, or null when the key is anything else: a key
    // anyone with write access wrote by hand under a queue's prefix ends in the mark too.
    private static LeaseInfo? GrantedFor(IKeyValueView view, string key, StoredValue stored)
    {
        var segment = key.AsSpan(key.LastIndexOf('/') + 1);
        if (segment.Length != 17 || segment[16] != GrantedMark || LeaseOf(key) is not (> 0 and var id) || stored.Lease != id)
            return null;
        return Leases.LeaseEndpoints.Read(view, id) is { } lease && lease.GrantedAt == stored.CreateRevision ? lease : null;
    }

    /// <summary>The keys under <paramref name="prefix"/> in queue order (oldest first), read linearizably.</summary>
    public async Task<List<(string Key, StoredValue Value)>> ListAsync(string prefix, CancellationToken token)
    {
        var start = System.Text.Encoding.UTF8.GetBytes(prefix);
        using var view = await kv.OpenViewAsync(ReadConsistency.Linearizable, token).ConfigureAwait(false);
        return Scan(view, start);
    }

    private static List<(string Key, StoredValue Value)> Scan(IKeyValueView view, byte[] prefix)
    {
        var from = StoreKeys.ForUser(prefix);
        var to = Core.Auth.KeyOrder.PrefixEnd(prefix) is { } end ? StoreKeys.ForUser(end) : StoreKeys.End(StoreKeys.User);
        return [.. view.Scan(from, to)
            .Select(static item => (System.Text.Encoding.UTF8.GetString(item.Key.AsSpan(1)), StoredValue.Decode(item.Value)))
            .OrderBy(static item => item.Item2.CreateRevision)
            .ThenBy(static item => item.Item1, StringComparer.Ordinal)];
    }

    private async Task WaitUntilFirstAsync(string prefix, QueueEntry entry, CancellationToken token)
    {
        var prefixBytes = System.Text.Encoding.UTF8.GetBytes(prefix);
        while (true)
        {
            string? ahead;
            long at;
            using (var view = await kv.OpenViewAsync(ReadConsistency.Linearizable, token).ConfigureAwait(false))
            {
                var queue = Scan(view, prefixBytes);
                if (!queue.Exists(q => q.Key == entry.Key))
                    throw new LeaseMissingException(entry.Lease);
                // Create revisions in a queue are distinct (see ProposalBatcher); the key breaks a tie anyway.
                var position = queue.FindIndex(q => q.Key == entry.Key);
                ahead = position > 0 ? queue[position - 1].Key : null;
                at = view.Index;
            }

            if (ahead is null)
                return;
            await WaitForDeleteAsync(System.Text.Encoding.UTF8.GetBytes(ahead), at, token).ConfigureAwait(false);
        }
    }

    // Returns once `key` may have been deleted after revision `at` (a delete event, or the hub let go).
    private async Task WaitForDeleteAsync(byte[] key, long at, CancellationToken token)
    {
        var watcher = new Watcher(new KeyFilter(key, null, SingleKey: true));
        if (!hub.TryAttach(watcher, at))
        {
            await feed.WaitForAppliedAfterAsync(at, TimeSpan.FromSeconds(1), token).ConfigureAwait(false);
            return;
        }

        try
        {
            var changes = new List<(long Revision, Core.Watch.ChangeEvent Change)>();
            while (true)
            {
                await watcher.WaitAsync(Timeout.InfiniteTimeSpan, token).ConfigureAwait(false);
                changes.Clear();
                watcher.Drain(changes);
                if (watcher.Dropped || changes.Exists(static c => c.Change.Deleted))
                    return;
            }
        }
        finally
        {
            hub.Detach(watcher);
        }
    }

    private async Task LeaveAsync(QueueEntry entry, bool granted, CancellationToken token)
    {
        if (granted)
            await kv.WriteAsync(new RevokeLeaseCommand { Id = entry.Lease }, token).ConfigureAwait(false);
        else
            await kv.WriteAsync(new DeleteCommand { Key = System.Text.Encoding.UTF8.GetBytes(entry.Key) }, token).ConfigureAwait(false);
    }

    private async Task<long> CreateRevisionAsync(byte[] key, CancellationToken token)
        => (await kv.GetAsync(key, ReadConsistency.Linearizable, token).ConfigureAwait(false))?.CreateRevision
           ?? throw new UnavailableException("The contender's key vanished while joining; retry.");

    /// <summary>The lease id a queue key names (its last segment's 16 hex digits), or 0.</summary>
    public static long LeaseOf(string key)
    {
        var segment = key.AsSpan(key.LastIndexOf('/') + 1);
        return segment.Length >= 16 && long.TryParse(segment[..16], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var id) ? id : 0;
    }
}

/// <summary>The lease a contender named does not exist.</summary>
public sealed class LeaseMissingException(long id) : Exception($"Lease {id} does not exist.")
{
    /// <summary>The lease's id.</summary>
    public long Id { get; } = id;
}
