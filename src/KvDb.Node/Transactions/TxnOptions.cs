// The transactions feature's settings, bound from the member's flags (--max-txn-ops) by
// TransactionsFeature.
namespace KvDb.Node.Transactions;

/// <summary>Options of the transactions feature.</summary>
public sealed class TxnOptions
{
    /// <summary>The most comparisons, and operations per branch, in one transaction.</summary>
    public int MaxOps { get; set; } = 128;
}
