// Per-key values (request URIs, request bodies) built on first use and reused afterwards, so
// the measuring loop does not format, encode or parse anything for a key it has seen.
// Invariants: Get(i) always returns build(i) or an equal earlier result; concurrent first uses
// may both build, and either result is kept (the values are immutable and equal, so that race
// is harmless and cheaper than a lock). Above MaxCachedEntries the cache is off and every call
// builds, trading allocation for bounded memory on huge key spaces.
namespace KvDb.Bench;

/// <summary>Lazily built, immutable per-key values.</summary>
public sealed class KeyedCache<T>
    where T : class
{
    /// <summary>The most entries cached; larger key spaces build each value on every use.</summary>
    public const int MaxCachedEntries = 1 << 17;

    private readonly T?[]? entries;
    private readonly Func<int, T> build;

    /// <summary>A cache of <paramref name="count"/> entries made by <paramref name="build"/>.</summary>
    public KeyedCache(int count, Func<int, T> build)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentNullException.ThrowIfNull(build);
        this.build = build;
        entries = count <= MaxCachedEntries ? new T?[count] : null;
    }

    /// <summary>True when values are kept (the key space is small enough).</summary>
    public bool IsCaching => entries is not null;

    /// <summary>The value of <paramref name="index"/>.</summary>
    public T Get(int index) => entries is null ? build(index) : entries[index] ??= build(index);
}
