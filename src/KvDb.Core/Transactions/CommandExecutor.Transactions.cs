// How a transaction applies: its comparisons are read at its point in the log (after the
// commands before it in the same entry), then the chosen branch's operations apply in order,
// each seeing the writes before it, all at the entry's revision.
// Invariants:
//  - Reads inside a transaction see the store merged with the entry's pending writes, so a get
//    after a put in the same transaction finds the put, and a range sees deletes before it.
//  - Every write goes through the same record encoding and change history as single puts and
//    deletes, so watchers receive a transaction's changes together at its revision.
//  - The answer (TxnReply) is computed here, on every member alike, and travels back to the
//    client's member in CommandResult.Reply; with an idempotency key it is remembered too.
using KvDb.Core.Commands;
using KvDb.Core.Transactions;

namespace KvDb.Core.State;

public sealed partial class CommandExecutor
{
    internal CommandResult Transaction(long index, TxnCommand txn)
    {
        var succeeded = true;
        foreach (var comparison in txn.Comparisons)
        {
            if (!TxnComparer.Holds(comparison, Read(StoreKeys.ForUser(comparison.Key))))
            {
                succeeded = false;
                break;
            }
        }

        return RunBranch(index, succeeded, succeeded ? txn.Then : txn.Else);
    }

    internal CommandResult Transaction(long index, RangeTxnCommand txn)
    {
        var succeeded = true;
        foreach (var comparison in txn.Comparisons)
        {
            if (!Holds(comparison))
            {
                succeeded = false;
                break;
            }
        }

        return RunBranch(index, succeeded, succeeded ? txn.Then : txn.Else);
    }

    // A range comparison holds for every key of its range (the entry's pending writes laid over
    // the store); a range without keys is compared as one absent key, as etcd does.
    private bool Holds(TxnRangeComparison comparison)
    {
        if (!comparison.IsRange)
            return TxnComparer.Holds(comparison, Read(StoreKeys.ForUser(comparison.Key)));
        if (comparison.Target is TxnTarget.Count)
            return TxnComparer.CountHolds(comparison, ScanMerged(comparison.Key, comparison.End).LongCount());

        var any = false;
        foreach (var (_, record) in ScanMerged(comparison.Key, comparison.End))
        {
            if (!TxnComparer.Holds(comparison, record))
                return false;
            any = true;
        }

        return any || TxnComparer.Holds(comparison, null);
    }

    private CommandResult RunBranch(long index, bool succeeded, TxnOperation[] branch)
    {

        // A put naming a lease that no longer exists fails the whole transaction, before it writes.
        foreach (var operation in branch)
        {
            if (operation is { Kind: TxnOperationKind.Put, Lease: not 0 } && Read(StoreKeys.ForLease(operation.Lease)) is null)
                return new(CommandOutcome.LeaseNotFound, 0);
        }

        changes.Transaction(succeeded);
        var results = new TxnOperationResult[branch.Length];
        for (var i = 0; i < branch.Length; i++)
            results[i] = Apply(index, branch[i]);
        return new(CommandOutcome.Applied, index, Reply: new TxnReply { Succeeded = succeeded, Results = results }.Encode());
    }

    private TxnOperationResult Apply(long index, TxnOperation operation) => operation.Kind switch
    {
        TxnOperationKind.Put => PutInTransaction(index, operation),
        TxnOperationKind.Delete => DeleteInTransaction(index, operation.Kind, [operation.Key]),
        TxnOperationKind.DeleteRange => DeleteInTransaction(index, operation.Kind, [.. ScanMerged(operation.Key, operation.End).Select(static item => item.Key)]),
        TxnOperationKind.Get => new() { Kind = operation.Kind, Item = Read(StoreKeys.ForUser(operation.Key)) is { } record ? Item(operation.Key, record) : null },
        _ => RangeInTransaction(operation),
    };

    private TxnOperationResult PutInTransaction(long index, TxnOperation put)
    {
        var key = StoreKeys.ForUser(put.Key);
        var previous = Read(key);
        Attach(put.Key, previous, put.Lease);
        batch.Put(key, UserRecord.EncodeOver(previous, put.ValueKind, index, put.Value, put.Lease));
        changes.Put(put.Key, put.ValueKind, put.Value!, previous, put.Lease);
        return new() { Kind = TxnOperationKind.Put, Revision = index };
    }

    private TxnOperationResult DeleteInTransaction(long index, TxnOperationKind kind, byte[][] userKeys)
    {
        var deleted = 0;
        foreach (var userKey in userKeys)
        {
            var key = StoreKeys.ForUser(userKey);
            if (Read(key) is not { } previous)
                continue;
            batch.Delete(key);
            Attach(userKey, previous, 0);
            changes.Delete(userKey, previous);
            deleted++;
        }

        return new() { Kind = kind, Revision = index, Deleted = deleted };
    }

    private TxnOperationResult RangeInTransaction(TxnOperation range)
    {
        var items = new List<TxnItem>();
        var more = false;
        foreach (var (key, record) in ScanMerged(range.Key, range.End))
        {
            if (range.Limit > 0 && items.Count == range.Limit)
            {
                more = true;
                break;
            }

            items.Add(Item(key, record));
        }

        return new() { Kind = TxnOperationKind.Range, Items = [.. items], More = more };
    }

    private static TxnItem Item(byte[] userKey, byte[] record)
        => new()
        {
            Key = userKey,
            Value = UserRecord.Payload(record).ToArray(),
            Kind = UserRecord.Kind(record),
            Revision = UserRecord.Revision(record),
            CreateRevision = UserRecord.CreateRevision(record),
            Version = UserRecord.Version(record),
        };

    // The user keys in [start, end) with their records, in key order: the store as of the last
    // entry, with this entry's pending writes laid over it (a pending delete hides a key).
    private IEnumerable<(byte[] Key, byte[] Record)> ScanMerged(byte[] start, byte[]? end)
        => ScanMergedStore(StoreKeys.ForUser(start), end is null ? StoreKeys.End(StoreKeys.User) : StoreKeys.ForUser(end))
            .Select(static item => (item.Key[1..], item.Record));

    // The store keys in [from, to) with their records, the entry's pending writes laid over the store.
    private IEnumerable<(byte[] Key, byte[] Record)> ScanMergedStore(byte[] from, byte[] to)
    {
        var pending = batch.Writes()
            .Where(w => w.Key.AsSpan().SequenceCompareTo(from) >= 0 && w.Key.AsSpan().SequenceCompareTo(to) < 0)
            .OrderBy(static w => w.Key, KeyOrder)
            .ToList();

        using var view = store.OpenView();
        var next = 0;
        foreach (var (key, record) in view.Scan(from, to))
        {
            for (; next < pending.Count && KeyOrder.Compare(pending[next].Key, key) < 0; next++)
            {
                if (pending[next].Value is { } written)
                    yield return (pending[next].Key, written);
            }

            if (next < pending.Count && KeyOrder.Compare(pending[next].Key, key) == 0)
            {
                if (pending[next++].Value is { } overwritten)
                    yield return (key, overwritten);
                continue;
            }

            yield return (key, record);
        }

        for (; next < pending.Count; next++)
        {
            if (pending[next].Value is { } written)
                yield return (pending[next].Key, written);
        }
    }

    private static readonly Comparer<byte[]> KeyOrder = Comparer<byte[]>.Create(static (a, b) => a.AsSpan().SequenceCompareTo(b));
}
