using KvDb.Core.Storage;

namespace KvDb.Tests.Storage;

public sealed class TableTests : IDisposable
{
    private readonly TempDirectory dir = new();
    private readonly StorageOptions options = new() { BlockSize = 256, TargetTableBytes = 4096 };

    public void Dispose() => dir.Dispose();

    /// <summary>Keys 0..count-1 (even ones), each with a value at sequence 10 over an older one at 5; every 5th is a tombstone.</summary>
    private (string Path, TableFileInfo Info) BuildTable(int count, Func<int, byte[]>? value = null)
    {
        var path = dir.Sub($"{Guid.NewGuid():N}.sst");
        using var builder = new TableBuilder(path, options);
        for (var i = 0; i < count; i++)
        {
            var key = TestData.Key(i * 2);
            builder.Add(InternalKey.Create(key, 10, i % 5 == 0 ? EntryKind.Delete : EntryKind.Put), i % 5 == 0 ? [] : (value ?? (n => TestData.Value(n)))(i));
            builder.Add(InternalKey.Create(key, 5, EntryKind.Put), "old"u8);
        }

        return (path, builder.Finish());
    }

    private static LookupResult Get(TableReader reader, byte[] userKey, ulong snapshot, out byte[]? value)
        => reader.TryGet(InternalKey.Create(userKey, snapshot, InternalKey.SeekKind), BloomFilter.Hash(userKey), out value);

    [Fact]
    public void Point_lookups_find_values_tombstones_and_older_versions()
    {
        var (path, info) = BuildTable(500);
        using var reader = TableReader.Open(path, info.Size, new BlockCache(1 << 20), verifyAllBlocks: true);

        reader.EntryCount.Should().Be(1000);
        for (var i = 0; i < 500; i++)
        {
            var key = TestData.Key(i * 2);
            if (i % 5 == 0)
            {
                Get(reader, key, 10, out _).Should().Be(LookupResult.Deleted);
            }
            else
            {
                Get(reader, key, 10, out var value).Should().Be(LookupResult.Found);
                value.Should().Equal(TestData.Value(i));
            }

            Get(reader, key, 7, out var old).Should().Be(LookupResult.Found, "sequence 7 only sees the version at 5");
            old.Should().Equal("old"u8.ToArray());
            Get(reader, key, 4, out _).Should().Be(LookupResult.NotFound);
            Get(reader, TestData.Key((i * 2) + 1), 10, out _).Should().Be(LookupResult.NotFound);
        }
    }

    [Fact]
    public void Iterator_returns_every_entry_in_order_and_seeks_across_blocks()
    {
        var (path, info) = BuildTable(300);
        using var reader = TableReader.Open(path, info.Size, new BlockCache(1 << 20), verifyAllBlocks: false);

        var keys = new List<byte[]>();
        using (var it = reader.NewIterator(fillCache: false))
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
                keys.Add(it.Key.ToArray());
        }

        keys.Should().HaveCount(600).And.BeInAscendingOrder(InternalKeyComparer.Instance);
        keys[0].Should().Equal(info.Smallest);
        keys[^1].Should().Equal(info.Largest);

        using var seeker = reader.NewIterator(fillCache: true);
        for (var i = 0; i < 300; i += 17)
        {
            seeker.Seek(InternalKey.Create(TestData.Key((i * 2) + 1), ulong.MaxValue >> 8, EntryKind.Put));
            if (i == 299)
                seeker.Valid.Should().BeFalse();
            else
                InternalKey.UserKey(seeker.Key).ToArray().Should().Equal(TestData.Key((i + 1) * 2));
        }
    }

    [Fact]
    public void Values_larger_than_a_block_round_trip()
    {
        var (path, info) = BuildTable(20, i => TestData.Value(i, length: 300_000 + i));
        using var reader = TableReader.Open(path, info.Size, new BlockCache(1 << 20), verifyAllBlocks: true);

        Get(reader, TestData.Key(6), 10, out var value).Should().Be(LookupResult.Found);
        value.Should().Equal(TestData.Value(3, length: 300_003));
    }

    [Fact]
    public void Open_reads_only_index_and_filter_blocks_into_the_cache()
    {
        var (path, info) = BuildTable(500);
        var cache = new BlockCache(1 << 20);

        using var reader = TableReader.Open(path, info.Size, cache, verifyAllBlocks: false);

        cache.Count.Should().Be(2);
        Get(reader, TestData.Key(2), 10, out _);
        cache.Count.Should().Be(3, "the lookup read one data block");
    }

    [Fact]
    public void Bloom_filter_lets_a_lookup_of_an_absent_key_skip_the_data_blocks()
    {
        var (path, info) = BuildTable(500);
        var cache = new BlockCache(1 << 20);
        using var reader = TableReader.Open(path, info.Size, cache, verifyAllBlocks: false);

        var misses = Enumerable.Range(0, 1000).Count(i => Get(reader, TestData.Bytes($"absent{i}"), 10, out _) == LookupResult.NotFound);

        misses.Should().Be(1000);
        cache.Count.Should().BeLessThan(2 + 30, "only false positives (about 1%) read a data block");
    }

    [Fact]
    public void A_flipped_byte_in_a_data_block_fails_the_read_naming_the_file()
    {
        var (path, info) = BuildTable(500);
        FlipByte(path, 100);
        using var reader = TableReader.Open(path, info.Size, new BlockCache(1 << 20), verifyAllBlocks: false);

        var read = () => Get(reader, TestData.Key(2), 10, out _);

        read.Should().Throw<StorageCorruptionException>().WithMessage($"*{path}*checksum*");
        var verify = () => TableReader.Open(path, info.Size, new BlockCache(1 << 20), verifyAllBlocks: true);
        verify.Should().Throw<StorageCorruptionException>().WithMessage($"*{path}*");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(30)]
    [InlineData(60)]
    public void A_flipped_byte_in_the_index_filter_or_footer_fails_open(int fromEnd)
    {
        var (path, info) = BuildTable(500);
        FlipByte(path, info.Size - fromEnd);

        var open = () => TableReader.Open(path, info.Size, new BlockCache(1 << 20), verifyAllBlocks: false);

        open.Should().Throw<StorageCorruptionException>().WithMessage($"*{path}*");
    }

    [Fact]
    public void A_truncated_table_fails_open_naming_the_file()
    {
        var (path, info) = BuildTable(500);
        using (var file = new FileStream(path, FileMode.Open))
            file.SetLength(info.Size - 1000);

        var checkedSize = () => TableReader.Open(path, info.Size, new BlockCache(1 << 20), false);
        var uncheckedSize = () => TableReader.Open(path, -1, new BlockCache(1 << 20), false);

        checkedSize.Should().Throw<StorageCorruptionException>().WithMessage($"*{path}*truncated*");
        uncheckedSize.Should().Throw<StorageCorruptionException>().WithMessage($"*{path}*magic*");
    }

    [Fact]
    public void An_abandoned_builder_deletes_its_partial_file()
    {
        var path = dir.Sub("abandoned.sst");
        using (var builder = new TableBuilder(path, options))
            builder.Add(InternalKey.Create("k"u8, 1, EntryKind.Put), "v"u8);

        File.Exists(path).Should().BeFalse();
    }

    internal static void FlipByte(string path, long offset)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset;
        var b = file.ReadByte();
        file.Position = offset;
        file.WriteByte((byte)(b ^ 0x5A));
    }
}
