// One change (or progress mark) of a watch.
// Invariants: within one watch, Put and Delete events come in revision order and each
// (revision, key) once; a Progress event at R means every matching change up to R was yielded.
using System.Text;

namespace KvDb.Client;

/// <summary>A change to a watched key, or a progress mark.</summary>
public sealed class WatchEvent
{
    /// <summary>Makes an event.</summary>
    /// <param name="type">What happened.</param>
    /// <param name="key">The key; empty for <see cref="WatchEventType.Progress"/>.</param>
    /// <param name="value">The new value of a put; null otherwise.</param>
    /// <param name="revision">The revision of the change (of a progress mark: the revision reached).</param>
    /// <param name="previousValue">The value replaced or deleted, when asked for and there was one.</param>
    /// <param name="previousRevision">The revision of <paramref name="previousValue"/>.</param>
    public WatchEvent(WatchEventType type, string key, byte[]? value, long revision, byte[]? previousValue = null, long? previousRevision = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        Type = type;
        Key = key;
        Value = value;
        Revision = revision;
        PreviousValue = previousValue;
        PreviousRevision = previousRevision;
    }

    /// <summary>What happened.</summary>
    public WatchEventType Type { get; }

    /// <summary>The key that changed; empty for a progress mark.</summary>
    public string Key { get; }

    /// <summary>The value a put stored; null for deletes and progress marks.</summary>
    public byte[]? Value { get; }

    /// <summary>The revision of the change; several keys may share one (one Raft entry).</summary>
    public long Revision { get; }

    /// <summary>The value the change replaced or deleted (with <see cref="WatchOptions.IncludePrevious"/>); null when none.</summary>
    public byte[]? PreviousValue { get; }

    /// <summary>The revision of <see cref="PreviousValue"/>; null when none.</summary>
    public long? PreviousRevision { get; }

    /// <summary><see cref="Value"/> decoded as UTF-8; null when there is no value.</summary>
    public string? ValueAsString() => Value is null ? null : Encoding.UTF8.GetString(Value);

    /// <inheritdoc/>
    public override string ToString() => Type is WatchEventType.Progress ? $"progress@{Revision}" : $"{Type.ToString().ToLowerInvariant()} {Key}@{Revision}";
}
