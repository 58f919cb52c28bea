// Lowe's memoisation for the Wing & Gong search: the configurations (set of operations placed
// so far, canonical model state) already explored.
// Invariants:
//  - Two configurations with the same placed set and the same canonical state have exactly the
//    same futures, so a configuration needs exploring at most once; a repeat is a dead end
//    already known.
//  - PlacedSet.Hash is always the XOR of Mix(i) over its members (Zobrist hashing), kept up to
//    date in O(1) per Add/Remove, so a lookup touches stored sets only when the hash matches.
//  - A set is stored compactly as its High mark (one past the largest member) and its HOLES
//    (the non-members below High). Operations are numbered in call order (KeyHistory), so the
//    placed set is nearly a prefix and the holes are the few operations still pending: memory
//    per configuration follows the concurrency, not the length of the history. Two sets are
//    equal exactly when High, Count and the holes agree, which costs O(holes) to test.
//  - Stored configurations are never changed afterwards.
using System.Numerics;

namespace KvDb.Tests.Linearizability;

/// <summary>A set of operation indices as a bitset, with an incrementally maintained hash.</summary>
internal sealed class PlacedSet
{
    private readonly ulong[] words;

    public PlacedSet(int capacity)
    {
        words = new ulong[(capacity + 63) / 64];
    }

    public ulong Hash { get; private set; }

    public int Count { get; private set; }

    /// <summary>One past the largest member; 0 when empty.</summary>
    public int High { get; private set; }

    public bool Contains(int operation) => (words[operation >> 6] & (1UL << operation)) != 0;

    public void Add(int operation)
    {
        words[operation >> 6] |= 1UL << operation;
        Hash ^= Mix(operation);
        Count++;
        High = Math.Max(High, operation + 1);
    }

    public void Remove(int operation)
    {
        words[operation >> 6] &= ~(1UL << operation);
        Hash ^= Mix(operation);
        Count--;
        if (operation + 1 == High)
            High = HighestMemberBelow(operation) + 1;
    }

    /// <summary>The non-members below <see cref="High"/>, in increasing order.</summary>
    public int[] Holes()
    {
        var holes = new int[High - Count];
        var next = 0;
        for (var word = 0; next < holes.Length; word++)
        {
            for (var missing = ~words[word]; missing != 0; missing &= missing - 1)
            {
                var index = (word << 6) + BitOperations.TrailingZeroCount(missing);
                if (index >= High)
                    break;
                holes[next++] = index;
            }
        }
        return holes;
    }

    /// <summary>SplitMix64's finaliser: a well-spread 64-bit value per index.</summary>
    public static ulong Mix(long value)
    {
        var z = (ulong)value + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private int HighestMemberBelow(int operation)
    {
        for (var word = (operation - 1) >> 6; word >= 0 && operation > 0; word--)
        {
            var bits = word == operation >> 6 ? words[word] & ((1UL << operation) - 1) : words[word];
            if (bits != 0)
                return (word << 6) + 63 - BitOperations.LeadingZeroCount(bits);
        }
        return -1;
    }
}

/// <summary>The explored (placed set, canonical state) configurations.</summary>
internal sealed class VisitedStates
{
    private readonly Dictionary<ulong, Visited> byHash = new();

    /// <summary>The number of configurations remembered.</summary>
    public int Count { get; private set; }

    /// <summary>Remembers the configuration; false when it had been seen before.</summary>
    public bool TryAdd(PlacedSet placed, int state)
    {
        var hash = placed.Hash ^ BitOperations.RotateLeft(PlacedSet.Mix(-1 - (long)state), 17);
        byHash.TryGetValue(hash, out var first);
        for (var seen = first; seen is not null; seen = seen.Next)
            if (seen.Matches(placed, state))
                return false;

        byHash[hash] = new Visited(placed.High, placed.Holes(), state, first);
        Count++;
        return true;
    }

    /// <summary>A remembered configuration, chained with others of the same hash.</summary>
    private sealed record Visited(int High, int[] Holes, int State, Visited? Next)
    {
        public bool Matches(PlacedSet placed, int state)
        {
            if (State != state || High != placed.High || High - Holes.Length != placed.Count)
                return false;
            foreach (var hole in Holes)
                if (placed.Contains(hole))
                    return false;
            return true;
        }
    }
}
