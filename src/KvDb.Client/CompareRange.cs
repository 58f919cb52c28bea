// A range of keys waiting for what to compare in it: Compare.Prefix("config/").Revision < 58
// holds when every key of config/ was last written before 58 (no key of it written since 57),
// Compare.Prefix("config/").Count == 12 when it holds 12 keys; both together hold exactly when
// the prefix is as it was at 57 with 12 keys (no put and no delete since).
// Invariants: immutable; a comparison over a range holds when it holds for every key of it (a
// range without keys is compared as one absent key: revision 0), as etcd's compare with a
// range_end. kvdb sends it as {"prefix"} or {"start", "end"}, never with "key", so a server that
// does not know ranges refuses it (400) rather than compare one key.

namespace KvDb.Client;

/// <summary>A range of keys to compare as a whole: <c>Compare.Prefix("config/").Revision &lt; 58</c>.</summary>
public sealed class CompareRange
{
    internal CompareRange(string start, string? end, bool isPrefix)
    {
        ArgumentNullException.ThrowIfNull(start);
        if (end is not null && string.CompareOrdinal(start, end) > 0 && !isPrefix)
            throw new ArgumentException("A range's start must not be after its end (end is exclusive).", nameof(end));
        Start = start;
        End = isPrefix ? null : end;
        IsPrefix = isPrefix;
    }

    /// <summary>The prefix, or the first key of the range.</summary>
    public string Start { get; }

    /// <summary>The exclusive end (null: to the last key); null for a prefix.</summary>
    public string? End { get; }

    /// <summary>Whether the range is every key starting with <see cref="Start"/>.</summary>
    public bool IsPrefix { get; }

    /// <summary>The revisions of the range's keys' last writes (every key must satisfy the comparison).</summary>
    public CompareTarget Revision => new(this, TxnTarget.Revision);

    /// <summary>The revisions that created the range's keys.</summary>
    public CompareTarget CreateRevision => new(this, TxnTarget.CreateRevision);

    /// <summary>The versions of the range's keys.</summary>
    public CompareTarget Version => new(this, TxnTarget.Version);

    /// <summary>How many keys the range holds.</summary>
    public CompareTarget Count => new(this, TxnTarget.Count);

    /// <inheritdoc/>
    public override string ToString() => IsPrefix ? $"prefix {Start}" : $"[{Start}, {End ?? "end"})";
}
