// A held lock (AcquireLockAsync): its key in the lock's queue, the fencing token, and the lease
// the client keeps alive while the handle lives.
// Invariants:
//  - FencingToken is the key's create revision: it strictly increases from holder to holder, so
//    a write made conditional on it (HeldCondition in a transaction) is refused once another
//    holder has the lock.
//  - Lost is cancelled when the lock is lost without this handle releasing it: its lease was
//    lost (revoked by someone else, expired, or unreachable for a whole TTL) or its key was
//    deleted. Work done under the lock should stop then.
//  - Disposing (or ReleaseAsync) revokes the lease, deleting the key: the next waiter gets the lock.

namespace KvDb.Client;

/// <summary>A held lock; dispose it to release the lock.</summary>
public sealed class KvLock : IAsyncDisposable
{
    private readonly OwnedKey owned;

    internal KvLock(string name, OwnedKey owned)
    {
        Name = name;
        this.owned = owned;
    }

    /// <summary>The lock's name.</summary>
    public string Name { get; }

    /// <summary>This holder's key (under <c>_locks/{name}/</c>).</summary>
    public string Key => owned.Key;

    /// <summary>The fencing token: the key's create revision, strictly increasing from holder to holder.</summary>
    public long FencingToken => owned.Revision;

    /// <summary>The lease the lock key is attached to; the client keeps it alive while the lock is held.</summary>
    public KvLease Lease => owned.Lease;

    /// <summary>Cancelled when the lock is lost (its lease lost, or its key deleted) without this handle releasing it.</summary>
    public CancellationToken Lost => owned.Lost;

    /// <summary>A transaction condition that holds only while this holder still has the lock: <c>Compare.CreateRevision(Key) == FencingToken</c>.</summary>
    public TxnComparison HeldCondition => Compare.CreateRevision(Key) == FencingToken;

    /// <summary>Releases the lock: revokes its lease, deleting its key, so the next waiter gets it.</summary>
    /// <param name="token">Cancels the release (the lease then expires after its TTL).</param>
    /// <returns>True when released now; false when it had been released or lost already.</returns>
    /// <exception cref="KvUnavailableException">No member could take the release in time; the lock goes when its lease expires.</exception>
    /// <exception cref="KvException">kvdb refused the release.</exception>
    public ValueTask<bool> ReleaseAsync(CancellationToken token = default) => owned.ReleaseAsync(token);

    /// <summary>Releases the lock, never throwing for kvdb's answer (a lock that could not be released goes when its lease expires).</summary>
    public ValueTask DisposeAsync() => owned.DisposeAsync();

    /// <inheritdoc/>
    public override string ToString() => $"lock {Name} held by {Key} (token {FencingToken})";
}
