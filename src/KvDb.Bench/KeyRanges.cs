// Watch mode's split of the key space into P contiguous ranges of key indices, and which
// watchers follow each. Range r holds the indices [r × Count / P, (r + 1) × Count / P) (integer
// division), and watcher w watches range w mod P. Invariants:
//  - Every index in [0, Count) is in exactly one range, and RangeOf agrees with the bounds.
//  - Keys are zero-padded to one width (KeySpace), so index order is byte order and a range of
//    indices is exactly the keys in [Key(lo), Key(hi)); the last range ends at the prefix's end
//    ("bench.", as '.' follows '-'), which holds every bench key and no other.
//  - WatchersOf(r) counts the watchers w < Watchers with w mod P = r; they add up to Watchers.
using System.Text;

namespace KvDb.Bench;

/// <summary>The contiguous key ranges watch mode's watchers follow.</summary>
public sealed class KeyRanges
{
    /// <summary>The end (exclusive) of every key that starts with <see cref="KeySpace.Prefix"/>: the prefix with its last character raised by one.</summary>
    public static readonly string PrefixEnd = KeySpace.Prefix[..^1] + (char)(KeySpace.Prefix[^1] + 1);

    private readonly KeySpace keys;

    /// <summary><paramref name="watchers"/> watchers over <paramref name="count"/> ranges of <paramref name="keys"/>.</summary>
    public KeyRanges(KeySpace keys, int count, int watchers)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, keys.Count);
        ArgumentOutOfRangeException.ThrowIfNegative(watchers);
        this.keys = keys;
        Count = count;
        Watchers = watchers;
    }

    /// <summary>How many ranges there are.</summary>
    public int Count { get; }

    /// <summary>How many watchers there are in all.</summary>
    public int Watchers { get; }

    /// <summary>The first key index of range <paramref name="range"/> (for <paramref name="range"/> = Count: the key count).</summary>
    public int First(int range)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(range);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(range, Count);
        return (int)((long)range * keys.Count / Count);
    }

    /// <summary>The range holding key index <paramref name="key"/>.</summary>
    public int RangeOf(int key)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(key);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(key, keys.Count);

        // The largest r with r × Count / P <= key, i.e. r × Count < (key + 1) × P.
        return (int)((((long)key + 1) * Count - 1) / keys.Count);
    }

    /// <summary>The range watcher <paramref name="watcher"/> follows.</summary>
    public int RangeOfWatcher(int watcher) => watcher % Count;

    /// <summary>How many watchers follow range <paramref name="range"/>.</summary>
    public int WatchersOf(int range) => Watchers / Count + (range < Watchers % Count ? 1 : 0);

    /// <summary>The query of a watch on range <paramref name="range"/>: <c>start=Key(first)&amp;end=Key(next first)</c>, the last range ending at <see cref="PrefixEnd"/>.</summary>
    public string Query(int range)
    {
        var first = First(range);
        var next = First(range + 1);
        var end = next < keys.Count ? keys.Key(next) : PrefixEnd;
        return new StringBuilder("start=").Append(Uri.EscapeDataString(keys.Key(first))).Append("&end=").Append(Uri.EscapeDataString(end)).ToString();
    }
}
