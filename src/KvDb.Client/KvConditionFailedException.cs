// A conditional write whose condition did not hold (412). kvdb answers the key's current
// revision with it, so a compare-and-swap loop can retry without reading again.

namespace KvDb.Client;

/// <summary>A write's <see cref="WriteCondition"/> did not hold; nothing was written.</summary>
public sealed class KvConditionFailedException : KvException
{
    /// <summary>Makes the exception.</summary>
    /// <param name="key">The key written.</param>
    /// <param name="currentRevision">The key's revision when the write was applied; 0 when the key did not exist.</param>
    /// <param name="title">The problem's title.</param>
    /// <param name="detail">The problem's detail.</param>
    public KvConditionFailedException(string key, long currentRevision, string? title, string? detail)
        : base(System.Net.HttpStatusCode.PreconditionFailed, title, detail)
    {
        Key = key;
        CurrentRevision = currentRevision;
    }

    /// <summary>The key written.</summary>
    public string Key { get; }

    /// <summary>The key's revision when the write was applied; 0 when the key did not exist.</summary>
    public long CurrentRevision { get; }
}
