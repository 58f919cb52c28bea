using KvDb.Core.Storage;

namespace KvDb.Tests.Storage;

public sealed class BlockTests
{
    private static List<(byte[] Key, byte[] Value)> SortedEntries(int count)
        => Enumerable.Range(0, count)
            .Select(i => (InternalKey.Create(TestData.Bytes($"user/profile/{i * 2:D5}"), 1, EntryKind.Put), TestData.Value(i, length: i % 7)))
            .ToList();

    private static Block Build(List<(byte[] Key, byte[] Value)> entries, int restartInterval, out int rawKeyBytes)
    {
        var builder = new BlockBuilder(restartInterval);
        foreach (var (key, value) in entries)
            builder.Add(key, value);
        rawKeyBytes = entries.Sum(e => e.Key.Length);
        var bytes = builder.Finish().ToArray();
        return new Block(bytes, bytes.Length, "test.sst");
    }

    [Fact]
    public void Round_trips_every_entry_in_order()
    {
        var entries = SortedEntries(200);
        var block = Build(entries, 16, out _);

        var read = new List<(byte[], byte[])>();
        var it = new BlockIterator().Reset(block);
        for (it.SeekToFirst(); it.Valid; it.Next())
            read.Add((it.Key.ToArray(), it.Value.ToArray()));

        read.Should().BeEquivalentTo(entries, o => o.WithStrictOrdering());
    }

    [Theory]
    [InlineData(1, 200)]
    [InlineData(16, 13)]
    [InlineData(500, 1)]
    public void Stores_one_restart_point_per_interval(int interval, int expectedRestarts)
    {
        var block = Build(SortedEntries(200), interval, out _);
        block.RestartCount.Should().Be(expectedRestarts);
    }

    [Fact]
    public void Prefix_compression_stores_shared_key_prefixes_once()
    {
        var entries = SortedEntries(200);
        var compressed = Build(entries, 16, out var rawKeyBytes);
        var uncompressed = Build(entries, 1, out _);

        var valueBytes = entries.Sum(e => e.Value.Length);
        (compressed.Length - valueBytes).Should().BeLessThan((int)(rawKeyBytes * 0.6), "keys share a 13-byte prefix");
        compressed.Length.Should().BeLessThan(uncompressed.Length);
    }

    [Fact]
    public void Seek_lands_on_the_first_key_at_or_after_the_target()
    {
        var entries = SortedEntries(100);
        var it = new BlockIterator().Reset(Build(entries, 4, out _));

        for (var i = 0; i < 100; i++)
        {
            it.Seek(entries[i].Key);
            it.Key.ToArray().Should().Equal(entries[i].Key);

            // Odd numbers fall between stored keys (which are even).
            it.Seek(InternalKey.Create(TestData.Bytes($"user/profile/{(i * 2) + 1:D5}"), 1, EntryKind.Put));
            if (i == 99)
                it.Valid.Should().BeFalse();
            else
                it.Key.ToArray().Should().Equal(entries[i + 1].Key);
        }

        it.Seek(InternalKey.Create("a"u8, 1, EntryKind.Put));
        it.Key.ToArray().Should().Equal(entries[0].Key);
    }

    [Fact]
    public void A_malformed_entry_throws_corruption_naming_the_file()
    {
        var builder = new BlockBuilder(16);
        builder.Add(InternalKey.Create("a"u8, 1, EntryKind.Put), "value"u8);
        var bytes = builder.Finish().ToArray();
        bytes[2] = 200; // value length now runs past the entries

        var it = new BlockIterator().Reset(new Block(bytes, bytes.Length, "broken.sst"));

        it.Invoking(i => i.SeekToFirst()).Should().Throw<StorageCorruptionException>().WithMessage("*broken.sst*");
    }
}
