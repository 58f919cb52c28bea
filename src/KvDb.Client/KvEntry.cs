// One stored key as a read answers it: its bytes and the revision of its last write.
// Invariant: Revision is the Raft index of the write that stored Value (positive).
using System.Text;

namespace KvDb.Client;

/// <summary>A key, its value and its revision.</summary>
public sealed class KvEntry
{
    /// <summary>Makes an entry.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The stored bytes.</param>
    /// <param name="revision">The revision of the write that stored them.</param>
    public KvEntry(string key, byte[] value, long revision)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        Key = key;
        Value = value;
        Revision = revision;
    }

    /// <summary>The key.</summary>
    public string Key { get; }

    /// <summary>The stored bytes (a value stored through the typed S2 API: its JSON).</summary>
    public byte[] Value { get; }

    /// <summary>The revision of the key's last write: use it with <see cref="WriteCondition.RevisionIs"/> for a compare-and-swap.</summary>
    public long Revision { get; }

    /// <summary>True when <see cref="Value"/> is a typed value's JSON (reads and range pages say; other answers leave it false).</summary>
    public bool IsTyped { get; init; }

    /// <summary>The value decoded as UTF-8.</summary>
    public string ValueAsString() => Encoding.UTF8.GetString(Value);

    /// <inheritdoc/>
    public override string ToString() => $"{Key}@{Revision}";
}
