// Where a transaction's conditions start: Compare.Revision("acct/a") == 41,
// Compare.Version("k") > 0, Compare.Value("k") != "x", Compare.Exists("k"), Compare.Absent("k"),
// and over a range: Compare.Prefix("config/").Revision < 58, Compare.Prefix("config/").Count == 12.

namespace KvDb.Client;

/// <summary>Makes the conditions of a <see cref="KvTransaction"/>.</summary>
/// <example><code>
/// kv.Transaction().If(Compare.Revision("acct/a") == 41, Compare.Exists("acct/b"))
/// </code></example>
public static class Compare
{
    /// <summary>The revision of <paramref name="key"/>'s last write (0 when absent), to compare with a number.</summary>
    public static CompareTarget Revision(string key) => new(key, TxnTarget.Revision);

    /// <summary>The revision that created <paramref name="key"/> (0 when absent): a lock's fencing token.</summary>
    public static CompareTarget CreateRevision(string key) => new(key, TxnTarget.CreateRevision);

    /// <summary>The writes since <paramref name="key"/> was created (0 when absent).</summary>
    public static CompareTarget Version(string key) => new(key, TxnTarget.Version);

    /// <summary>The value of <paramref name="key"/>, to compare with text.</summary>
    public static CompareValueTarget Value(string key) => new(key);

    /// <summary><paramref name="key"/> exists.</summary>
    public static TxnComparison Exists(string key) => new(key, TxnTarget.Exists, TxnOperator.Equal, 1, null);

    /// <summary><paramref name="key"/> does not exist.</summary>
    public static TxnComparison Absent(string key) => new(key, TxnTarget.Exists, TxnOperator.Equal, 0, null);

    /// <summary>
    /// Every key starting with <paramref name="prefix"/> (empty: every key), to compare as a whole:
    /// <c>Compare.Prefix("config/").Revision &lt; 58</c> holds when no key of it was written after 57.
    /// Needs a cluster whose every member knows range comparisons (409 otherwise).
    /// </summary>
    public static CompareRange Prefix(string prefix) => new(prefix, null, isPrefix: true);

    /// <summary>Every key from <paramref name="start"/> up to <paramref name="end"/> (exclusive; null: to the last key), to compare as a whole; see <see cref="Prefix"/>.</summary>
    public static CompareRange Range(string start, string? end) => new(start, end, isPrefix: false);
}
