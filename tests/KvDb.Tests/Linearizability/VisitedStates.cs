// Lowe's memoisation for the Wing & Gong search: the configurations (set of operations
// linearized so far, model state) already explored.
// Invariants:
//  - Two configurations with the same linearized set and the same model state have exactly the
//    same futures (the remaining events and the register are identical), so a configuration
//    needs exploring at most once; a repeat is a dead end already known.
//  - LinearizedSet.Hash is always the XOR of Mix(i) over its members (Zobrist hashing), kept
//    up to date in O(1) per Add/Remove, so looking a configuration up costs no pass over the
//    bits unless the hash matches a stored one.
//  - Stored configurations are copies and never change afterwards.
using System.Numerics;

namespace KvDb.Tests.Linearizability;

/// <summary>A set of operation indices as a bitset, with an incrementally maintained hash.</summary>
internal sealed class LinearizedSet
{
    private readonly ulong[] words;

    public LinearizedSet(int capacity)
    {
        words = new ulong[(capacity + 63) / 64];
    }

    public ulong Hash { get; private set; }

    public int Count { get; private set; }

    public ReadOnlySpan<ulong> Words => words;

    public void Add(int operation)
    {
        words[operation >> 6] |= 1UL << operation;
        Hash ^= Mix(operation);
        Count++;
    }

    public void Remove(int operation)
    {
        words[operation >> 6] &= ~(1UL << operation);
        Hash ^= Mix(operation);
        Count--;
    }

    /// <summary>SplitMix64's finaliser: a well-spread 64-bit value per operation index.</summary>
    public static ulong Mix(long value)
    {
        var z = (ulong)value + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>The explored (linearized set, model state) configurations.</summary>
internal sealed class VisitedStates
{
    private readonly Dictionary<ulong, Visited> byHash = new();

    /// <summary>The number of configurations remembered.</summary>
    public int Count { get; private set; }

    /// <summary>Remembers the configuration; false when it had been seen before.</summary>
    public bool TryAdd(LinearizedSet linearized, int state)
    {
        var hash = linearized.Hash ^ BitOperations.RotateLeft(LinearizedSet.Mix(-1 - (long)state), 17);
        byHash.TryGetValue(hash, out var first);
        for (var seen = first; seen is not null; seen = seen.Next)
            if (seen.State == state && linearized.Words.SequenceEqual(seen.Words))
                return false;

        byHash[hash] = new Visited(linearized.Words.ToArray(), state, first);
        Count++;
        return true;
    }

    /// <summary>A remembered configuration, chained with others of the same hash.</summary>
    private sealed record Visited(ulong[] Words, int State, Visited? Next);
}
