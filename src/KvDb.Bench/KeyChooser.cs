// Picks the key index of each operation: uniform over the key space [0, keys).
// Invariants: every index returned is in [0, keys); one chooser belongs to one worker (it wraps
// a non-thread-safe Random), so choosing a key takes no lock and allocates nothing.
namespace KvDb.Bench;

/// <summary>Chooses key indexes uniformly from <c>[0, keys)</c>.</summary>
public sealed class KeyChooser
{
    private readonly Random random;

    /// <summary>A chooser over <paramref name="keys"/> keys drawing from <paramref name="random"/> (owned by one worker).</summary>
    public KeyChooser(int keys, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keys, 1);
        ArgumentNullException.ThrowIfNull(random);
        Keys = keys;
        this.random = random;
    }

    /// <summary>The size of the key space.</summary>
    public int Keys { get; }

    /// <summary>The next key index, in <c>[0, Keys)</c>.</summary>
    public int Next() => random.Next(Keys);
}
