// Decides whether one comparison holds against a key's stored record (null: absent).
// An absent key has revision, create revision and version 0 and no value: a value comparison
// with an absent key holds only for "!=".
using KvDb.Core.State;

namespace KvDb.Core.Transactions;

/// <summary>Evaluates transaction comparisons.</summary>
public static class TxnComparer
{
    /// <summary>Whether <paramref name="comparison"/> holds for the stored <paramref name="record"/>.</summary>
    public static bool Holds(TxnComparison comparison, byte[]? record)
    {
        if (comparison.Target is TxnTarget.Value)
        {
            if (record is null)
                return comparison.Operator is TxnOperator.NotEqual;
            return Compare(UserRecord.Payload(record).Span.SequenceCompareTo(comparison.Bytes ?? []), comparison.Operator);
        }

        var actual = comparison.Target switch
        {
            TxnTarget.Revision => record is null ? 0 : UserRecord.Revision(record),
            TxnTarget.CreateRevision => record is null ? 0 : UserRecord.CreateRevision(record),
            TxnTarget.Version => record is null ? 0 : UserRecord.Version(record),
            _ => record is null ? 0 : 1,
        };
        return Compare(actual.CompareTo(comparison.Number), comparison.Operator);
    }

    private static bool Compare(int order, TxnOperator op) => op switch
    {
        TxnOperator.Equal => order == 0,
        TxnOperator.NotEqual => order != 0,
        TxnOperator.Less => order < 0,
        _ => order > 0,
    };
}
