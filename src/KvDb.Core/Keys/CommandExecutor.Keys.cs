// How puts and deletes of single keys apply.
// Invariants:
//  - A key's revision is the index of the entry that last wrote it; a condition is checked
//    against the key's state at this point of the log.
//  - The record replaced is read first: the change history keeps it for watchers that ask for
//    the previous value, and the key's lease attachment moves with it.
using KvDb.Core.Commands;

namespace KvDb.Core.State;

public sealed partial class CommandExecutor
{
    internal CommandResult Put(long index, PutCommand put)
    {
        // The current record is read for the history (watchers may ask for the value replaced).
        var key = StoreKeys.ForUser(put.Key);
        var previous = Read(key);
        var current = previous is null ? 0 : UserRecord.Revision(previous);
        if (put.Condition is { } condition && !condition.IsSatisfiedBy(current))
            return new(CommandOutcome.PreconditionFailed, current);
        if (PrepareLease(index, put.Lease, put.GrantTtlMs, put.GrantOwner) is { } refused)
            return refused;

        Attach(put.Key, previous, put.Lease);
        batch.Put(key, UserRecord.EncodeOver(previous, put.Kind, index, put.Value, put.Lease));
        changes.Put(put.Key, put.Kind, put.Value, previous, put.Lease);
        return new(CommandOutcome.Applied, index);
    }

    internal CommandResult Delete(long index, DeleteCommand delete)
    {
        var key = StoreKeys.ForUser(delete.Key);
        var previous = Read(key);
        var current = previous is null ? 0 : UserRecord.Revision(previous);
        if (delete.Condition is { } condition && !condition.IsSatisfiedBy(current))
            return new(CommandOutcome.PreconditionFailed, current);
        if (previous is null)
            return new(CommandOutcome.NotFound, 0);

        batch.Delete(key);
        Attach(delete.Key, previous, 0);
        changes.Delete(delete.Key, previous);
        return new(CommandOutcome.Applied, index);
    }
}
