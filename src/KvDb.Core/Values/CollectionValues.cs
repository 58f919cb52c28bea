// The three collection kinds of TypedValue: List, Set and Map.
// Invariants:
//  - Elements are never null; Depth = 1 + the deepest element (1 when empty) and <= MaxDepth.
//  - ListValue keeps the caller's order and duplicates.
//  - SetValue.Items is strictly ascending in the TypedValue total order (sorted, no duplicates).
//  - MapValue.Entries is strictly ascending by key in UTF-8 byte order (unique keys), and
//    every key is well-formed UTF-16.
//  - The backing arrays are owned exclusively by the instance and never mutated after
//    construction; ImmutableArray exposes them without copying.
using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace KvDb.Core.Values;

/// <summary>A <c>List</c> value: values in a given order, duplicates allowed. Ordered lexicographically.</summary>
public sealed class ListValue : TypedValue
{
    private readonly TypedValue[] _items;

    private ListValue(TypedValue[] items, int depth)
        : base(depth)
    {
        _items = items;
    }

    /// <summary>The elements, in order.</summary>
    public ImmutableArray<TypedValue> Items => ImmutableCollectionsMarshal.AsImmutableArray(_items);

    /// <summary>The number of elements.</summary>
    public int Count => _items.Length;

    /// <summary>The element at <paramref name="index"/>.</summary>
    public TypedValue this[int index] => _items[index];

    /// <inheritdoc/>
    public override TypedValueKind Kind => TypedValueKind.List;

    /// <summary>Takes ownership of <paramref name="items"/> after checking the elements and the depth.</summary>
    internal static ListValue Create(TypedValue[] items) => new(items, Collections.CheckedDepth(items, nameof(items)));

    private protected override int CompareSameKind(TypedValue other) => Collections.CompareSequences(_items, ((ListValue)other)._items);

    private protected override bool EqualsSameKind(TypedValue other) => Collections.EqualSequences(_items, ((ListValue)other)._items);

    private protected override int ComputeHash() => Collections.HashSequence(TypedValueKind.List, _items);
}

/// <summary>
/// A <c>Set</c> value: distinct values kept in the <see cref="TypedValue"/> total order (like a
/// Rust <c>BTreeSet</c>). Sets compare lexicographically as their ordered element sequences.
/// </summary>
public sealed class SetValue : TypedValue
{
    private readonly TypedValue[] _items;

    private SetValue(TypedValue[] items, int depth)
        : base(depth)
    {
        _items = items;
    }

    /// <summary>The elements, strictly ascending.</summary>
    public ImmutableArray<TypedValue> Items => ImmutableCollectionsMarshal.AsImmutableArray(_items);

    /// <summary>The number of distinct elements.</summary>
    public int Count => _items.Length;

    /// <inheritdoc/>
    public override TypedValueKind Kind => TypedValueKind.Set;

    /// <summary>True when the set holds a value equal to <paramref name="item"/>.</summary>
    public bool Contains(TypedValue item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return Array.BinarySearch(_items, item) >= 0;
    }

    /// <summary>Takes ownership of <paramref name="items"/>, sorts it and drops duplicates.</summary>
    internal static SetValue Create(TypedValue[] items)
    {
        var depth = Collections.CheckedDepth(items, nameof(items));
        Array.Sort(items);
        var count = DropAdjacentDuplicates(items);
        return new SetValue(count == items.Length ? items : items[..count], depth);
    }

    /// <summary>
    /// Takes ownership of <paramref name="items"/>, which the caller has checked to be strictly
    /// ascending, non-null and of a valid depth.
    /// </summary>
    internal static SetValue CreateCanonical(TypedValue[] items, int depth) => new(items, depth);

    private static int DropAdjacentDuplicates(TypedValue[] sorted)
    {
        if (sorted.Length < 2)
            return sorted.Length;
        var kept = 1;
        for (var i = 1; i < sorted.Length; i++)
        {
            if (!sorted[i].Equals(sorted[kept - 1]))
                sorted[kept++] = sorted[i];
        }

        return kept;
    }

    private protected override int CompareSameKind(TypedValue other) => Collections.CompareSequences(_items, ((SetValue)other)._items);

    private protected override bool EqualsSameKind(TypedValue other) => Collections.EqualSequences(_items, ((SetValue)other)._items);

    private protected override int ComputeHash() => Collections.HashSequence(TypedValueKind.Set, _items);
}

/// <summary>
/// A <c>Map</c> value: string keys to values, kept sorted by key in UTF-8 byte order (like a Rust
/// <c>BTreeMap&lt;String, Value&gt;</c>). Maps compare lexicographically as sequences of (key, value).
/// </summary>
public sealed class MapValue : TypedValue
{
    private static readonly Comparison<KeyValuePair<string, TypedValue>> ByKey =
        static (x, y) => Utf8OrdinalComparer.CompareChars(x.Key, y.Key);

    private readonly KeyValuePair<string, TypedValue>[] _entries;

    private MapValue(KeyValuePair<string, TypedValue>[] entries, int depth)
        : base(depth)
    {
        _entries = entries;
    }

    /// <summary>The entries, strictly ascending by key.</summary>
    public ImmutableArray<KeyValuePair<string, TypedValue>> Entries => ImmutableCollectionsMarshal.AsImmutableArray(_entries);

    /// <summary>The number of entries.</summary>
    public int Count => _entries.Length;

    /// <inheritdoc/>
    public override TypedValueKind Kind => TypedValueKind.Map;

    /// <summary>Looks a key up by binary search.</summary>
    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TypedValue? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        var index = IndexOf(key);
        value = index >= 0 ? _entries[index].Value : null;
        return index >= 0;
    }

    /// <summary>The value stored under <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">The map has no such key.</exception>
    public TypedValue this[string key] =>
        TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"The map has no key '{key}'.");

    /// <summary>Takes ownership of <paramref name="entries"/>, sorts it by key and rejects duplicate keys.</summary>
    internal static MapValue Create(KeyValuePair<string, TypedValue>[] entries)
    {
        foreach (var entry in entries)
            EnsureWellFormed(entry.Key, nameof(entries));
        var depth = Collections.CheckedDepth(entries, nameof(entries));
        var duplicate = SortAndFindDuplicate(entries);
        if (duplicate is not null)
            throw new ArgumentException($"Duplicate map key '{duplicate}'.", nameof(entries));
        return new MapValue(entries, depth);
    }

    /// <summary>
    /// Takes ownership of entries whose keys the caller has validated and sorts them; returns the
    /// map, or null and the first duplicate key found.
    /// </summary>
    internal static MapValue? TryCreateValidated(KeyValuePair<string, TypedValue>[] entries, out string? duplicateKey)
    {
        var depth = Collections.CheckedDepth(entries, nameof(entries));
        duplicateKey = SortAndFindDuplicate(entries);
        return duplicateKey is null ? new MapValue(entries, depth) : null;
    }

    /// <summary>
    /// Takes ownership of <paramref name="entries"/>, which the caller has checked to be strictly
    /// ascending by key, with well-formed keys, non-null values and a valid depth.
    /// </summary>
    internal static MapValue CreateCanonical(KeyValuePair<string, TypedValue>[] entries, int depth) => new(entries, depth);

    private static string? SortAndFindDuplicate(KeyValuePair<string, TypedValue>[] entries)
    {
        entries.AsSpan().Sort(ByKey);
        for (var i = 1; i < entries.Length; i++)
        {
            if (string.Equals(entries[i].Key, entries[i - 1].Key, StringComparison.Ordinal))
                return entries[i].Key;
        }

        return null;
    }

    private int IndexOf(string key)
    {
        int low = 0, high = _entries.Length - 1;
        while (low <= high)
        {
            var mid = low + ((high - low) >> 1);
            var order = Utf8OrdinalComparer.CompareChars(_entries[mid].Key, key);
            if (order == 0)
                return mid;
            if (order < 0)
                low = mid + 1;
            else
                high = mid - 1;
        }

        return -1;
    }

    private protected override int CompareSameKind(TypedValue other)
    {
        var mine = _entries;
        var theirs = ((MapValue)other)._entries;
        var common = Math.Min(mine.Length, theirs.Length);
        for (var i = 0; i < common; i++)
        {
            var order = Utf8OrdinalComparer.CompareChars(mine[i].Key, theirs[i].Key);
            if (order == 0)
                order = mine[i].Value.CompareTo(theirs[i].Value);
            if (order != 0)
                return order;
        }

        return mine.Length.CompareTo(theirs.Length);
    }

    private protected override bool EqualsSameKind(TypedValue other)
    {
        var mine = _entries;
        var theirs = ((MapValue)other)._entries;
        if (mine.Length != theirs.Length)
            return false;
        for (var i = 0; i < mine.Length; i++)
        {
            if (!string.Equals(mine[i].Key, theirs[i].Key, StringComparison.Ordinal) || !mine[i].Value.Equals(theirs[i].Value))
                return false;
        }

        return true;
    }

    private protected override int ComputeHash()
    {
        var hash = new HashCode();
        hash.Add(TypedValueKind.Map);
        hash.Add(_entries.Length);
        foreach (var entry in _entries)
        {
            hash.Add(string.GetHashCode(entry.Key, StringComparison.Ordinal));
            hash.Add(entry.Value.GetHashCode());
        }

        return hash.ToHashCode();
    }
}

/// <summary>Sequence helpers shared by the collection kinds.</summary>
internal static class Collections
{
    /// <summary>Checks for null elements and returns the collection's depth, throwing beyond the limit.</summary>
    public static int CheckedDepth(TypedValue[] items, string paramName)
    {
        var deepest = 0;
        foreach (var item in items)
        {
            if (item is null)
                throw new ArgumentException("A collection cannot contain null.", paramName);
            deepest = Math.Max(deepest, item.Depth);
        }

        return CheckedDepth(deepest, paramName);
    }

    /// <inheritdoc cref="CheckedDepth(TypedValue[], string)"/>
    public static int CheckedDepth(KeyValuePair<string, TypedValue>[] entries, string paramName)
    {
        var deepest = 0;
        foreach (var entry in entries)
        {
            if (entry.Value is null)
                throw new ArgumentException($"The value of map key '{entry.Key}' is null.", paramName);
            deepest = Math.Max(deepest, entry.Value.Depth);
        }

        return CheckedDepth(deepest, paramName);
    }

    public static int CompareSequences(TypedValue[] x, TypedValue[] y)
    {
        var common = Math.Min(x.Length, y.Length);
        for (var i = 0; i < common; i++)
        {
            var order = x[i].CompareTo(y[i]);
            if (order != 0)
                return order;
        }

        return x.Length.CompareTo(y.Length);
    }

    public static bool EqualSequences(TypedValue[] x, TypedValue[] y)
    {
        if (x.Length != y.Length)
            return false;
        for (var i = 0; i < x.Length; i++)
        {
            if (!x[i].Equals(y[i]))
                return false;
        }

        return true;
    }

    public static int HashSequence(TypedValueKind kind, TypedValue[] items)
    {
        var hash = new HashCode();
        hash.Add(kind);
        hash.Add(items.Length);
        foreach (var item in items)
            hash.Add(item.GetHashCode());
        return hash.ToHashCode();
    }

    private static int CheckedDepth(int deepestElement, string paramName)
    {
        var depth = deepestElement + 1;
        if (depth > TypedValue.MaxDepth)
            throw new ArgumentException($"The value would be nested {depth} levels deep; the maximum is {TypedValue.MaxDepth}.", paramName);
        return depth;
    }
}
