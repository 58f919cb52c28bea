// Decides whether one comparison holds against a key's stored record (null: absent).
// An absent key has revision, create revision and version 0 and no value: a value comparison
// with an absent key holds only for "!=". A range comparison (RangeTxnCommand) is decided by the
// executor, which compares each key of the range here and counts them for "count".
using KvDb.Core.State;

namespace KvDb.Core.Transactions;

/// <summary>Evaluates transaction comparisons.</summary>
public static class TxnComparer
{
    /// <summary>Whether <paramref name="comparison"/> holds for the stored <paramref name="record"/>.</summary>
    public static bool Holds(TxnComparison comparison, byte[]? record)
        => Holds(comparison.Target, comparison.Operator, comparison.Number, comparison.Bytes, record);

    /// <summary>Whether <paramref name="comparison"/>, taken for its one key, holds for the stored <paramref name="record"/> (a range's keys are each compared so).</summary>
    public static bool Holds(TxnRangeComparison comparison, byte[]? record)
        => Holds(comparison.Target, comparison.Operator, comparison.Number, comparison.Bytes, record);

    /// <summary>Whether a range of <paramref name="count"/> keys satisfies a count comparison.</summary>
    public static bool CountHolds(TxnRangeComparison comparison, long count) => Compare(count.CompareTo(comparison.Number), comparison.Operator);

    private static bool Holds(TxnTarget target, TxnOperator op, long number, byte[]? bytes, byte[]? record)
    {
        if (target is TxnTarget.Value)
        {
            if (record is null)
                return op is TxnOperator.NotEqual;
            return Compare(UserRecord.Payload(record).Span.SequenceCompareTo(bytes ?? []), op);
        }

        var actual = target switch
        {
            TxnTarget.Revision => record is null ? 0 : UserRecord.Revision(record),
            TxnTarget.CreateRevision => record is null ? 0 : UserRecord.CreateRevision(record),
            TxnTarget.Version => record is null ? 0 : UserRecord.Version(record),
            _ => record is null ? 0 : 1,
        };
        return Compare(actual.CompareTo(number), op);
    }

    private static bool Compare(int order, TxnOperator op) => op switch
    {
        TxnOperator.Equal => order == 0,
        TxnOperator.NotEqual => order != 0,
        TxnOperator.Less => order < 0,
        _ => order > 0,
    };
}
