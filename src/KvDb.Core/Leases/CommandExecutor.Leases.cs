// How leases apply: grants and revocations, and keys attached to and detached from leases by
// the puts and deletes that write them.
// Invariants:
//  - A key is attached to at most one lease: its record's lease field, mirrored by one
//    attachment entry; a put without a lease, or a delete, detaches it.
//  - A revocation deletes every attached key and the lease in the revoking entry, recorded as
//    delete events in its history record, so watchers see them at one revision.
//  - The lease table changes only after the entry's batch is written (see LeaseTable).
//  - A grant records the owner its command names and nothing checks it here: who may use a
//    lease is decided before proposing (the member knows the caller), so an earlier release
//    applying the same entry, which skips the owner, deletes and keeps the same keys.
using KvDb.Core.Commands;
using KvDb.Core.Leases;

namespace KvDb.Core.State;

public sealed partial class CommandExecutor
{
    private readonly List<(LeaseInfo Lease, bool Removed)> leaseChanges = [];

    /// <summary>The leases of the applied state (kept in step by this executor).</summary>
    public LeaseTable Leases { get; } = new();

    internal CommandResult GrantLease(long index, long id, long ttlMs, string? owner)
    {
        var key = StoreKeys.ForLease(id);
        if (Read(key) is not null)
            return new(CommandOutcome.Conflict, 0);
        batch.Put(key, LeaseTable.Encode(ttlMs, index, owner));
        leaseChanges.Add((new LeaseInfo(id, ttlMs, index, owner), false));
        return new(CommandOutcome.Applied, index);
    }

    internal CommandResult RevokeLease(long index, long id)
    {
        var key = StoreKeys.ForLease(id);
        if (Read(key) is null)
            return new(CommandOutcome.NotFound, 0);

        var start = StoreKeys.ForAttachment(id, []);
        var end = StoreKeys.ForAttachment(id + 1, []);
        foreach (var attachment in ScanMergedStore(start, end).Select(static a => a.Key).ToList())
        {
            var userKey = attachment[start.Length..];
            var storeKey = StoreKeys.ForUser(userKey);
            if (Read(storeKey) is { } record && UserRecord.Lease(record) == id)
            {
                batch.Delete(storeKey);
                changes.Delete(userKey, record);
            }

            batch.Delete(attachment);
        }

        batch.Delete(key);
        leaseChanges.Add((new LeaseInfo(id, 0, 0), true));
        return new(CommandOutcome.Applied, index);
    }

    // Before a put: grants its lease when it carries a TTL, or checks that its lease exists.
    private CommandResult? PrepareLease(long index, long lease, long grantTtlMs, string? grantOwner)
    {
        if (grantTtlMs > 0)
        {
            var granted = GrantLease(index, lease, grantTtlMs, grantOwner);
            return granted.Outcome == CommandOutcome.Applied ? null : granted;
        }

        return lease == 0 || Read(StoreKeys.ForLease(lease)) is not null ? null : new(CommandOutcome.LeaseNotFound, 0);
    }

    // Moves the key's attachment from the lease of its previous record to `lease` (0: none).
    private void Attach(byte[] userKey, byte[]? previous, long lease)
    {
        var before = previous is null ? 0 : UserRecord.Lease(previous);
        if (before != 0 && before != lease)
            batch.Delete(StoreKeys.ForAttachment(before, userKey));
        if (lease != 0 && lease != before)
            batch.Put(StoreKeys.ForAttachment(lease, userKey), []);
    }

    private void PublishLeaseChanges()
    {
        foreach (var (lease, removed) in leaseChanges)
        {
            if (removed)
                Leases.Remove(lease.Id);
            else
                Leases.Set(lease);
        }

        leaseChanges.Clear();
    }
}
