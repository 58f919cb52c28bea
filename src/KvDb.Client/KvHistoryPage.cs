// One page of a key's history, as GET /v1/history/{key} answers it.
// Invariants: Changes are newest first, all from one point-in-time view at Revision, and only
// those after CompactRevision (the history forgets the oldest); Before is null on the last page.

namespace KvDb.Client;

/// <summary>A page of a key's changes, newest first.</summary>
public sealed class KvHistoryPage
{
    /// <summary>Makes a page.</summary>
    /// <param name="key">The key.</param>
    /// <param name="changes">The changes, newest first.</param>
    /// <param name="before">The <c>before</c> of the next (older) page; null on the last.</param>
    /// <param name="revision">The revision the page was read at.</param>
    /// <param name="compactRevision">The newest revision the history has forgotten.</param>
    public KvHistoryPage(string key, IReadOnlyList<KvChange> changes, long? before, long revision, long compactRevision)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(changes);
        Key = key;
        Changes = changes;
        Before = before;
        Revision = revision;
        CompactRevision = compactRevision;
    }

    /// <summary>The key.</summary>
    public string Key { get; }

    /// <summary>The changes, newest first.</summary>
    public IReadOnlyList<KvChange> Changes { get; }

    /// <summary>Pass it to <see cref="KvClient.GetHistoryAsync"/> for the next, older page; null when the history holds no older change.</summary>
    public long? Before { get; }

    /// <summary>The revision the page was read at.</summary>
    public long Revision { get; }

    /// <summary>Changes at or before this revision are no longer kept, so they are not listed.</summary>
    public long CompactRevision { get; }
}

/// <summary>One change of a key: a put or a delete at a revision.</summary>
public sealed class KvChange
{
    /// <summary>Makes a change.</summary>
    /// <param name="revision">The revision of the entry that made it.</param>
    /// <param name="type"><see cref="WatchEventType.Put"/> or <see cref="WatchEventType.Delete"/>.</param>
    /// <param name="value">The value put; null for a delete.</param>
    /// <param name="isTyped">True when <paramref name="value"/> is a typed value's JSON.</param>
    /// <param name="lease">The lease a put attached the key to; null for none or unknown.</param>
    /// <param name="timestamp">When the entry was proposed (the leader's clock).</param>
    public KvChange(long revision, WatchEventType type, byte[]? value, bool isTyped, long? lease, DateTimeOffset timestamp)
    {
        Revision = revision;
        Type = type;
        Value = value;
        IsTyped = isTyped;
        Lease = lease;
        Timestamp = timestamp;
    }

    /// <summary>The revision of the entry that made the change.</summary>
    public long Revision { get; }

    /// <summary>Put or delete.</summary>
    public WatchEventType Type { get; }

    /// <summary>The value put (a typed value: its JSON); null for a delete.</summary>
    public byte[]? Value { get; }

    /// <summary>True when <see cref="Value"/> is a typed value's JSON.</summary>
    public bool IsTyped { get; }

    /// <summary>The lease a put attached the key to; null for none, for a delete, or when the member did not record it.</summary>
    public long? Lease { get; }

    /// <summary>When the entry was proposed, on the leader's clock.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Type}@{Revision}";
}
