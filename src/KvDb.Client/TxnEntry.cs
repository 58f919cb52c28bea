// A key as a transaction's get or range reads it: the value, and the three numbers a
// comparison can test (revision, create revision, version).
// Invariant: read at the transaction's own point in the log, after its earlier operations.
using System.Text;

namespace KvDb.Client;

/// <summary>A key read by a transaction.</summary>
public sealed class TxnEntry
{
    /// <summary>Makes an entry.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The stored bytes.</param>
    /// <param name="revision">The revision of its last write.</param>
    /// <param name="createRevision">The revision that created it.</param>
    /// <param name="version">The writes since it was created.</param>
    public TxnEntry(string key, byte[] value, long revision, long createRevision, long version)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        Key = key;
        Value = value;
        Revision = revision;
        CreateRevision = createRevision;
        Version = version;
    }

    /// <summary>The key.</summary>
    public string Key { get; }

    /// <summary>The stored bytes (a typed value: its JSON).</summary>
    public byte[] Value { get; }

    /// <summary>The revision of the key's last write.</summary>
    public long Revision { get; }

    /// <summary>The revision that created the key.</summary>
    public long CreateRevision { get; }

    /// <summary>The writes since the key was created (1 after the first).</summary>
    public long Version { get; }

    /// <summary>The value decoded as UTF-8.</summary>
    public string ValueAsString() => Encoding.UTF8.GetString(Value);

    /// <inheritdoc/>
    public override string ToString() => $"{Key}@{Revision}";
}
