using KvDb.Core.Storage;

namespace KvDb.Tests.Storage;

public sealed class BlockCacheTests
{
    [Fact]
    public void Evicts_least_recently_used_entries_to_stay_within_the_byte_budget()
    {
        var cache = new BlockCache(capacity: 1000);
        cache.Insert(1, 0, "a", 400);
        cache.Insert(1, 1, "b", 400);
        cache.TryGet(1, 0, out _).Should().BeTrue("touching 'a' makes 'b' the least recently used");

        cache.Insert(1, 2, "c", 400);

        cache.Usage.Should().Be(800);
        cache.TryGet(1, 1, out _).Should().BeFalse();
        cache.TryGet(1, 0, out var a).Should().BeTrue();
        a.Should().Be("a");
        cache.TryGet(1, 2, out _).Should().BeTrue();
        cache.Evictions.Should().Be(1);
    }

    [Fact]
    public void Evicts_as_many_entries_as_a_large_insert_needs()
    {
        var cache = new BlockCache(capacity: 1000);
        for (var i = 0; i < 10; i++)
            cache.Insert(7, i, i, 100);

        cache.Insert(8, 0, "big", 950);

        cache.Usage.Should().Be(950);
        cache.Count.Should().Be(1);
    }

    [Fact]
    public void Does_not_cache_an_entry_larger_than_the_whole_budget()
    {
        var cache = new BlockCache(capacity: 100);
        cache.Insert(1, 0, "small", 50);
        cache.Insert(1, 1, "huge", 101);

        cache.TryGet(1, 1, out _).Should().BeFalse();
        cache.TryGet(1, 0, out _).Should().BeTrue("a rejected insert evicts nothing");
    }

    [Fact]
    public void Replacing_a_key_recharges_it_and_counts_hits_and_misses()
    {
        var cache = new BlockCache(capacity: 1000);
        cache.Insert(1, 0, "x", 300);
        cache.Insert(1, 0, "y", 200);
        cache.Usage.Should().Be(200);

        cache.TryGet(1, 0, out var value);
        cache.TryGet(2, 0, out _);

        value.Should().Be("y");
        cache.Hits.Should().Be(1);
        cache.Misses.Should().Be(1);
    }
}
