// The types of kvdb's appendable lists as the client sees them: items to append, the answer of
// an append, items read, read options and keyspace metadata.
// Invariants: a nonce is 0 to 2^128 - 1 (UInt128), sent and read as decimal digits so no JSON
// number precision is lost; timestamps are Unix milliseconds on the wire.
using System.Text;

namespace KvDb.Client;

/// <summary>An item to append to a list.</summary>
/// <param name="Value">The item's bytes.</param>
/// <param name="Nonce">The producer's nonce: an item whose nonce is not greater than the list's last one is skipped as a duplicate. Null for none.</param>
/// <param name="Timestamp">The item's time (never below the list's last); null for the leader's clock.</param>
public sealed record ListAppendItem(byte[] Value, UInt128? Nonce = null, DateTimeOffset? Timestamp = null)
{
    /// <summary>An item whose value is <paramref name="value"/> as UTF-8.</summary>
    public ListAppendItem(string value, UInt128? nonce = null, DateTimeOffset? timestamp = null)
        : this(Encoding.UTF8.GetBytes(value ?? throw new ArgumentNullException(nameof(value))), nonce, timestamp)
    {
    }
}

/// <summary>What an append did.</summary>
/// <param name="FirstOffset">The offset of the first item appended (when <paramref name="Appended"/> is 0, what the list's next offset is).</param>
/// <param name="LastOffset">The offset of the last item appended.</param>
/// <param name="Appended">Items stored.</param>
/// <param name="Skipped">Items skipped as duplicates (nonce not above the list's last).</param>
/// <param name="Revision">The revision of the append's log entry.</param>
public sealed record ListAppendResult(long FirstOffset, long LastOffset, int Appended, int Skipped, long Revision);

/// <summary>An item of a list.</summary>
/// <param name="Offset">Its offset, from 0, never reused.</param>
/// <param name="Nonce">Its producer nonce, or null.</param>
/// <param name="TimestampMs">Its time, Unix milliseconds.</param>
/// <param name="Value">Its bytes.</param>
public sealed record ListItem(long Offset, UInt128? Nonce, long TimestampMs, byte[] Value)
{
    /// <summary>Its time.</summary>
    public DateTimeOffset Timestamp => DateTimeOffset.FromUnixTimeMilliseconds(TimestampMs);

    /// <summary>The value as UTF-8 text.</summary>
    public string ValueAsString() => Encoding.UTF8.GetString(Value);
}

/// <summary>The order a list is read in.</summary>
public enum ListOrder
{
    /// <summary>Oldest first (increasing offsets).</summary>
    Forward,

    /// <summary>Newest first (decreasing offsets).</summary>
    Backward,
}

/// <summary>Where and how <see cref="KvClient.ReadListAsync"/> reads.</summary>
public sealed class ListReadOptions
{
    /// <summary>The order (default forward).</summary>
    public ListOrder Order { get; init; }

    /// <summary>The most items to yield in all; null (the default) for every item to the end.</summary>
    public int? Limit { get; init; }

    /// <summary>Items per request, 1 to 1,000 (default 100).</summary>
    public int PageSize { get; init; } = 100;

    /// <summary>Start at this offset (the first item yielded is the one at or after it in <see cref="Order"/>). At most one start.</summary>
    public long? StartOffset { get; init; }

    /// <summary>Start at this time. At most one start.</summary>
    public DateTimeOffset? StartTimestamp { get; init; }

    /// <summary>Start at this nonce. At most one start.</summary>
    public UInt128? StartNonce { get; init; }

    /// <summary>How fresh each page must be (linearizable by default).</summary>
    public ReadConsistency Consistency { get; init; }
}

/// <summary>A keyspace's metadata.</summary>
/// <param name="Name">Its name.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="Keys">Lists in it.</param>
/// <param name="Items">Items in all its lists.</param>
/// <param name="Bytes">Bytes of those items.</param>
public sealed record KvKeyspaceInfo(string Name, DateTimeOffset CreatedAt, long Keys, long Items, long Bytes);

/// <summary>A list's metadata.</summary>
/// <param name="Keyspace">Its keyspace.</param>
/// <param name="Key">Its key.</param>
/// <param name="FirstOffset">Its first offset.</param>
/// <param name="LastOffset">Its last offset.</param>
/// <param name="Count">Items in it.</param>
/// <param name="Bytes">Bytes of its items.</param>
/// <param name="LastNonce">Its last item's nonce; null when no item had one.</param>
/// <param name="FirstTimestamp">Its first item's time.</param>
/// <param name="LastTimestamp">Its last item's time.</param>
public sealed record KvListInfo(string Keyspace, string Key, long FirstOffset, long LastOffset, long Count, long Bytes, UInt128? LastNonce, DateTimeOffset FirstTimestamp, DateTimeOffset LastTimestamp);
