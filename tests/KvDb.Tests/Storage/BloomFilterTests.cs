using KvDb.Core.Storage;

namespace KvDb.Tests.Storage;

public sealed class BloomFilterTests
{
    [Fact]
    public void Never_reports_an_added_key_as_absent()
    {
        var hashes = Enumerable.Range(0, 10_000).Select(i => BloomFilter.Hash(TestData.Key(i))).ToArray();
        var filter = BloomFilter.Build(hashes, 10);

        hashes.Should().OnlyContain(h => BloomFilter.MayContain(filter, h));
    }

    [Theory]
    [InlineData(10, 0.02)]
    [InlineData(6, 0.07)]
    public void False_positive_rate_stays_near_the_theoretical_bound(int bitsPerKey, double bound)
    {
        var filter = BloomFilter.Build(Enumerable.Range(0, 10_000).Select(i => BloomFilter.Hash(TestData.Key(i))).ToArray(), bitsPerKey);

        var falsePositives = Enumerable.Range(1_000_000, 20_000).Count(i => BloomFilter.MayContain(filter, BloomFilter.Hash(TestData.Key(i))));

        (falsePositives / 20_000.0).Should().BeLessThan(bound);
    }

    [Fact]
    public void Uses_about_bits_per_key_of_space()
    {
        var filter = BloomFilter.Build(Enumerable.Range(0, 8_000).Select(i => (ulong)i * 7919).ToArray(), 10);
        filter.Length.Should().Be((8_000 * 10 / 8) + 1);
    }

    [Fact]
    public void An_unreadable_filter_answers_maybe()
    {
        BloomFilter.MayContain([], 42).Should().BeTrue();
        BloomFilter.MayContain([0, 0, 0, 99], 42).Should().BeTrue("99 probes is not a filter this reader wrote");
    }
}
