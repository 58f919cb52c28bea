// The position in the Raft log that some state of the engine reflects.
// Invariants:
//  - Immutable, so a reader that loads one reference sees a matching (sequence, index, term)
//    triple; the writer publishes a new instance after each whole batch.
//  - Sequence is the engine's last sequence number at that point: every entry of every batch
//    up to Index has a sequence <= Sequence, and no entry of a later batch does.
namespace KvDb.Core.Storage;

internal sealed record ApplyPoint(ulong Sequence, long Index, long Term)
{
    public static readonly ApplyPoint Empty = new(0, 0, 0);
}
