// Where a transaction's operations start: Op.Put("acct/a", "70"), Op.Put("k", bytes, lease),
// Op.Delete("k"), Op.DeletePrefix("tmp/"), Op.DeleteRange("a", "m"), Op.Get("k"),
// Op.RangePrefix("user/", 10), Op.Range("a", "m", 10).
// Invariant: every argument is checked here, so a transaction that builds is one kvdb parses
// (the server's own limits, --max-txn-ops and --max-value-bytes, are checked there).

namespace KvDb.Client;

/// <summary>Makes the operations of a <see cref="KvTransaction"/>'s branches.</summary>
public static class Op
{
    /// <summary>Stores <paramref name="value"/> (as UTF-8) under <paramref name="key"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The text to store.</param>
    /// <param name="lease">The lease to attach the key to (see <see cref="KvWriteOptions.Lease"/>); null for none. A lease that does not exist fails the whole transaction with <see cref="KvLeaseNotFoundException"/>.</param>
    public static TxnOp Put(string key, string value, long? lease = null)
    {
        KeyPaths.Validate(key);
        ArgumentNullException.ThrowIfNull(value);
        CheckLease(lease);
        return new TxnOp(TxnOpKind.Put, key, value: System.Text.Encoding.UTF8.GetBytes(value), text: value, lease: lease);
    }

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>.</summary>
    /// <inheritdoc cref="Put(string, string, long?)"/>
    public static TxnOp Put(string key, byte[] value, long? lease = null)
    {
        KeyPaths.Validate(key);
        ArgumentNullException.ThrowIfNull(value);
        CheckLease(lease);
        return new TxnOp(TxnOpKind.Put, key, value: (byte[])value.Clone(), lease: lease);
    }

    /// <summary>Removes <paramref name="key"/> (nothing happens when it is absent; the result says how many keys went).</summary>
    public static TxnOp Delete(string key)
    {
        KeyPaths.Validate(key);
        return new TxnOp(TxnOpKind.Delete, key);
    }

    /// <summary>Removes every key starting with <paramref name="prefix"/> (empty: every key).</summary>
    public static TxnOp DeletePrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return new TxnOp(TxnOpKind.DeleteRange, prefix, isPrefix: true);
    }

    /// <summary>Removes every key from <paramref name="start"/> up to <paramref name="end"/> (exclusive; null: to the last key).</summary>
    /// <exception cref="ArgumentException"><paramref name="end"/> sorts before <paramref name="start"/>.</exception>
    public static TxnOp DeleteRange(string start, string? end)
    {
        CheckRange(start, end);
        return new TxnOp(TxnOpKind.DeleteRange, start, end);
    }

    /// <summary>Reads <paramref name="key"/> (as the transaction's earlier operations left it).</summary>
    public static TxnOp Get(string key)
    {
        KeyPaths.Validate(key);
        return new TxnOp(TxnOpKind.Get, key);
    }

    /// <summary>Reads up to <paramref name="limit"/> keys starting with <paramref name="prefix"/>, in key order.</summary>
    /// <param name="prefix">The prefix; empty for every key.</param>
    /// <param name="limit">The most keys, 1 to <see cref="KvClient.MaxPageSize"/>; the result says whether there were more.</param>
    public static TxnOp RangePrefix(string prefix, int limit = 100)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        CheckLimit(limit);
        return new TxnOp(TxnOpKind.Range, prefix, isPrefix: true, limit: limit);
    }

    /// <summary>Reads up to <paramref name="limit"/> keys from <paramref name="start"/> up to <paramref name="end"/> (exclusive; null: to the last key).</summary>
    /// <param name="start">The first key (inclusive).</param>
    /// <param name="end">The end (exclusive), or null.</param>
    /// <param name="limit">The most keys, 1 to <see cref="KvClient.MaxPageSize"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="end"/> sorts before <paramref name="start"/>.</exception>
    public static TxnOp Range(string start, string? end, int limit = 100)
    {
        CheckRange(start, end);
        CheckLimit(limit);
        return new TxnOp(TxnOpKind.Range, start, end, limit: limit);
    }

    private static void CheckLease(long? lease)
    {
        if (lease is <= 0)
            throw new ArgumentOutOfRangeException(nameof(lease), lease, "A lease id is positive.");
    }

    private static void CheckLimit(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, KvClient.MaxPageSize);
    }

    private static void CheckRange(string start, string? end)
    {
        ArgumentNullException.ThrowIfNull(start);
        if (end is not null && KeyOrder.Compare(start, end) > 0)
            throw new ArgumentException($"The range's end '{end}' sorts before its start '{start}' (keys sort by their UTF-8 bytes).", nameof(end));
    }
}
