// The size limits a member enforces at its API, which a forwarded batch must also respect: a
// follower of another configuration (or a forged peer request) must not slip past them.
namespace KvDb.Core.Commands;

/// <summary>The member's limits on keys, values and transactions.</summary>
/// <param name="MaxKeyBytes">The largest key, in UTF-8 bytes.</param>
/// <param name="MaxValueBytes">The largest value.</param>
/// <param name="MaxTxnOps">The most comparisons, and operations per branch, in a transaction.</param>
public readonly record struct CommandLimits(int MaxKeyBytes, long MaxValueBytes, int MaxTxnOps)
{
    /// <summary>Whether <paramref name="key"/> is a non-empty key within the limit.</summary>
    public bool IsValidKey(byte[] key) => key.Length > 0 && key.Length <= MaxKeyBytes;
}
