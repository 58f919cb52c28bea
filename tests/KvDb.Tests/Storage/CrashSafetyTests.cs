using KvDb.Core.Storage;

namespace KvDb.Tests.Storage;

/// <summary>
/// A process kill leaves exactly the files that were on disk at that instant. The fault hook
/// copies the engine's directory at each step of a flush, a compaction and a manifest switch
/// (while nothing else touches the directory), which is the image a kill at that step leaves;
/// each image must reopen cleanly at a durable index no older than the previous one, with
/// exactly the data up to it.
/// </summary>
public sealed class CrashSafetyTests : IDisposable
{
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private static StorageOptions SerialOptions() => new()
    {
        // Memtables never fill on their own and compaction only runs when asked, so every
        // hook runs while no other background work touches the directory.
        MemtableBytes = 64 << 20,
        BlockSize = 256,
        TargetTableBytes = 2048,
        BackgroundCompaction = false,
    };

    [Fact]
    public void A_kill_at_any_step_of_flush_or_compaction_reopens_at_a_consistent_durable_index()
    {
        var live = dir.Sub("live");
        var images = new List<(string Point, string Path)>();
        var log = new List<(long Index, byte[] Key, byte[]? Value)>();
        long index = 0;
        using (var engine = StorageEngine.Open(live, SerialOptions()))
        {
            engine.FaultInjection = point =>
            {
                var image = dir.Sub($"image{images.Count:D3}");
                CopyDirectory(live, image);
                images.Add((point, image));
            };
            var random = new Random(7);
            for (var round = 0; round < 6; round++)
            {
                for (var i = 0; i < 150; i++)
                {
                    var key = TestData.Key(random.Next(300));
                    var value = random.Next(5) == 0 ? null : TestData.Value(i, round);
                    if (value is null)
                        engine.Delete(key, ++index);
                    else
                        engine.Put(key, value, ++index);
                    log.Add((index, key, value));
                }

                if (round % 3 == 2)
                    engine.CompactAll();
                else
                    engine.Flush();
            }
        }

        images.Select(i => i.Point).Distinct().Should().BeEquivalentTo(
            "flush:table-written", "manifest:before-rename", "manifest:after-rename", "compaction:outputs-written");
        long previous = 0;
        foreach (var (point, path) in images)
        {
            using var reopened = StorageEngine.Open(path, SerialOptions());
            var durable = reopened.DurableIndex;
            durable.Should().BeGreaterThanOrEqualTo(previous, $"a kill at {point} must not go back in time");
            previous = durable;
            var expected = new KeyValueModel();
            expected.Apply(log.Where(e => e.Index <= durable).Select(e => (e.Key, e.Value)));
            KeyValueModel.Describe(reopened.ScanAll()).Should().Equal(expected.Describe(), $"image taken at {point} (durable {durable})");
            Directory.GetFiles(path, "*.sst").Should().HaveCount(reopened.Stats.TableCount, "orphans of the interrupted step are deleted at open");
            Directory.GetFiles(path, "*.tmp").Should().BeEmpty();
        }

        previous.Should().Be(index);
    }

    [Theory]
    [InlineData("flush:table-written")]
    [InlineData("manifest:before-rename")]
    public void A_flush_that_dies_before_its_manifest_leaves_the_previous_state(string point)
    {
        using (var engine = StorageEngine.Open(dir.Path, SerialOptions()))
        {
            for (var i = 0; i < 100; i++)
                engine.Put(TestData.Key(i), TestData.Value(i), i + 1);
            engine.Flush();
            for (var i = 100; i < 200; i++)
                engine.Put(TestData.Key(i), TestData.Value(i), i + 1);
            engine.FaultInjection = p =>
            {
                if (p == point)
                    throw new IOException("simulated crash");
            };

            engine.Invoking(e => e.Flush()).Should().Throw<IOException>();
            engine.Invoking(e => e.Put(TestData.Key(1), [1], 201)).Should().Throw<IOException>("a failed engine refuses writes");
            engine.Get(TestData.Key(150)).Should().Equal(TestData.Value(150), "reads keep working");
        }

        using var reopened = StorageEngine.Open(dir.Path, SerialOptions());
        reopened.DurableIndex.Should().Be(100);
        reopened.ScanAll().Should().HaveCount(100);
        Directory.GetFiles(dir.Path, "*.sst").Should().HaveCount(reopened.Stats.TableCount);
    }

    [Fact]
    public void A_compaction_that_dies_before_its_manifest_loses_nothing()
    {
        using (var engine = StorageEngine.Open(dir.Path, SerialOptions()))
        {
            for (var round = 0; round < 3; round++)
            {
                for (var i = 0; i < 100; i++)
                    engine.Put(TestData.Key(i), TestData.Value(i, round), (round * 100) + i + 1);
                engine.Flush();
            }

            engine.FaultInjection = p =>
            {
                if (p == "compaction:outputs-written")
                    throw new IOException("simulated crash");
            };
            engine.Invoking(e => e.CompactAll()).Should().Throw<IOException>();
        }

        using var reopened = StorageEngine.Open(dir.Path, SerialOptions());
        reopened.DurableIndex.Should().Be(300);
        reopened.Stats.TablesPerLevel[0].Should().Be(3, "the compaction never happened");
        for (var i = 0; i < 100; i++)
            reopened.Get(TestData.Key(i)).Should().Equal(TestData.Value(i, 2));
    }

    [Fact]
    public void Open_names_a_truncated_table()
    {
        var table = PopulateAndFindATable();
        using (var file = new FileStream(table, FileMode.Open))
            file.SetLength(file.Length - 1);

        var open = () => StorageEngine.Open(dir.Path, SerialOptions());

        open.Should().Throw<StorageCorruptionException>().WithMessage($"*{table}*").Which.FilePath.Should().Be(table);
    }

    [Fact]
    public void Open_names_a_table_whose_index_or_footer_is_corrupted()
    {
        var table = PopulateAndFindATable();
        TableTests.FlipByte(table, new FileInfo(table).Length - 30);

        var open = () => StorageEngine.Open(dir.Path, SerialOptions());

        open.Should().Throw<StorageCorruptionException>().WithMessage($"*{table}*");
    }

    [Fact]
    public void Open_names_a_missing_table()
    {
        var table = PopulateAndFindATable();
        File.Delete(table);

        var open = () => StorageEngine.Open(dir.Path, SerialOptions());

        open.Should().Throw<StorageCorruptionException>().WithMessage($"*{table}*missing*");
    }

    [Fact]
    public void Open_names_a_corrupted_manifest()
    {
        PopulateAndFindATable();
        var manifest = Path.Combine(dir.Path, "MANIFEST");
        TableTests.FlipByte(manifest, 20);

        var open = () => StorageEngine.Open(dir.Path, SerialOptions());

        open.Should().Throw<StorageCorruptionException>().WithMessage($"*{manifest}*");
    }

    [Fact]
    public void Open_refuses_tables_without_a_manifest_instead_of_deleting_them()
    {
        var table = PopulateAndFindATable();
        File.Delete(Path.Combine(dir.Path, "MANIFEST"));

        var open = () => StorageEngine.Open(dir.Path, SerialOptions());

        open.Should().Throw<StorageCorruptionException>().WithMessage("*MANIFEST*missing*");
        File.Exists(table).Should().BeTrue();
    }

    [Fact]
    public void A_kill_during_the_very_first_flush_reopens_empty()
    {
        var live = dir.Sub("live");
        var image = dir.Sub("image");
        using (var engine = StorageEngine.Open(live, SerialOptions()))
        {
            engine.Put(TestData.Key(1), [1], 1);
            engine.FaultInjection = point =>
            {
                if (point == "flush:table-written")
                    CrashSafetyTests.CopyDirectory(live, image);
            };
            engine.Flush();
        }

        using var reopened = StorageEngine.Open(image, SerialOptions());
        reopened.DurableIndex.Should().Be(0);
        reopened.ScanAll().Should().BeEmpty();
        Directory.GetFiles(image, "*.sst").Should().BeEmpty("the unreferenced table was an orphan");
    }

    [Fact]
    public void A_corrupted_data_block_is_never_served_and_full_verification_catches_it_at_open()
    {
        var table = PopulateAndFindATable();
        TableTests.FlipByte(table, 10);

        using (var engine = StorageEngine.Open(dir.Path, SerialOptions()))
        {
            engine.Invoking(e => e.ScanAll()).Should().Throw<StorageCorruptionException>().WithMessage($"*{table}*checksum*");
        }

        var verifying = () => StorageEngine.Open(dir.Path, new StorageOptions { VerifyAllBlocksOnOpen = true });
        verifying.Should().Throw<StorageCorruptionException>().WithMessage($"*{table}*");
    }

    private string PopulateAndFindATable()
    {
        using (var engine = StorageEngine.Open(dir.Path, SerialOptions()))
        {
            for (var i = 0; i < 200; i++)
                engine.Put(TestData.Key(i), TestData.Value(i), i + 1);
            engine.Flush();
        }

        return Directory.GetFiles(dir.Path, "*.sst").Single();
    }

    internal static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            if (Path.GetFileName(file) != "LOCK")
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (var sub in Directory.GetDirectories(from))
            CopyDirectory(sub, Path.Combine(to, Path.GetFileName(sub)));
    }
}
