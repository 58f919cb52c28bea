// The largest value a member takes (--max-value-bytes), which every feature that reads values
// from requests (keys, typed values, lists, transactions) holds them to.
namespace KvDb.Node.HttpKit;

/// <summary>Limits on values in requests.</summary>
public sealed class ValueLimits
{
    /// <summary>The largest value, in bytes.</summary>
    public int MaxValueBytes { get; set; } = 1 << 20;
}
