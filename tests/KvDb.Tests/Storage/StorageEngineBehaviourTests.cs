using KvDb.Core.Storage;

namespace KvDb.Tests.Storage;

public sealed class StorageEngineBehaviourTests : IDisposable
{
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public async Task Readers_see_each_batch_whole_while_memtables_flush_and_compact_underneath()
    {
        using var engine = StorageEngine.Open(dir.Path, TestData.Small());
        const int keys = 10;
        const int rounds = 400;
        var done = false;
        var viewsChecked = 0;

        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            while (!Volatile.Read(ref done))
            {
                using var view = engine.OpenView();
                var values = Enumerable.Range(0, keys).Select(k => view.TryGet(TestData.Key(k), out var v) ? TestData.Text(v) : "none").ToList();
                values.Distinct().Should().HaveCount(1, $"a batch writes all {keys} keys at once (view at index {view.Index})");
                if (view.Index > 0)
                    values[0].Should().Be($"round {view.Index}", "the view's index names the last batch it includes");
                var scanned = view.Scan().Select(kv => TestData.Text(kv.Value)).Distinct().ToList();

                // A view opened before the first batch has no keys: its gets say "none" and its scan is empty.
                scanned.Should().Equal(view.Index == 0 ? [] : values.Distinct());
                Interlocked.Increment(ref viewsChecked);
            }
        })).ToArray();

        var batch = new WriteBatch();
        for (var round = 1; round <= rounds; round++)
        {
            batch.Clear();
            for (var k = 0; k < keys; k++)
                batch.Put(TestData.Key(k), TestData.Bytes($"round {round}"));
            engine.Apply(batch, round, term: 1);
            if (round == rounds / 2)
                await Eventually.WaitUntilAsync(() => Volatile.Read(ref viewsChecked) >= 5, "the readers to check five views while the writes go on", TimeSpan.FromSeconds(20));
        }

        Volatile.Write(ref done, true);
        await Task.WhenAll(readers);
        viewsChecked.Should().BeGreaterThanOrEqualTo(5);
        engine.Stats.FlushesCompleted.Should().BeGreaterThan(0, "the small memtable filled up during the test");
    }

    [Fact]
    public void A_view_is_unaffected_by_later_writes_flushes_and_compactions()
    {
        using var engine = StorageEngine.Open(dir.Path, TestData.Small());
        long index = 0;
        for (var i = 0; i < 300; i++)
            engine.Put(TestData.Key(i), TestData.Value(i), ++index);
        engine.Flush();
        var expected = KeyValueModel.Describe(engine.ScanAll());

        using var view = engine.OpenView();
        for (var i = 0; i < 300; i++)
        {
            if (i % 2 == 0)
                engine.Delete(TestData.Key(i), ++index);
            else
                engine.Put(TestData.Key(i), TestData.Value(i, round: 1), ++index);
        }

        engine.Put(TestData.Key(5000), [1], ++index);
        engine.CompactAll();

        view.Index.Should().Be(300);
        KeyValueModel.Describe(view.Scan()).Should().Equal(expected);
        view.TryGet(TestData.Key(0), out var zero).Should().BeTrue();
        zero.Should().Equal(TestData.Value(0));
        view.TryGet(TestData.Key(5000), out _).Should().BeFalse();
        engine.Get(TestData.Key(0)).Should().BeNull();
    }

    [Fact]
    public void A_view_pins_compacted_tables_until_disposed_and_then_they_are_deleted()
    {
        using var engine = StorageEngine.Open(dir.Path, TestData.Small(backgroundCompaction: false));
        long index = 0;
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < 100; i++)
                engine.Put(TestData.Key(i), TestData.Value(i, round), ++index);
            engine.Flush();
        }

        var view = engine.OpenView();
        var before = TableFiles();
        engine.CompactAll();

        TableFiles().Should().Contain(before, "the view still reads them");
        view.Scan().Should().HaveCount(100);
        view.Dispose();

        var live = engine.DescribeLevels().SelectMany(l => l).Select(t => FileNames.Table(t.Number));
        TableFiles().Should().BeEquivalentTo(live);
    }

    [Fact]
    public async Task A_full_memtable_flushes_in_the_background_and_raises_Flushed()
    {
        using var engine = StorageEngine.Open(dir.Path, TestData.Small());
        var flushed = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        engine.Flushed += index => flushed.TrySetResult(index);

        long written = 0;
        while (!flushed.Task.IsCompleted && written < 10_000)
            engine.Put(TestData.Key((int)written), TestData.Value((int)written), ++written);

        var durable = await flushed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        durable.Should().BeInRange(1, written);
        engine.DurableIndex.Should().BeGreaterThanOrEqualTo(durable);
        engine.AppliedIndex.Should().Be(written);
    }

    [Fact]
    public async Task Apply_waits_for_the_flush_when_a_second_memtable_fills_up()
    {
        var options = TestData.Small();
        using var engine = StorageEngine.Open(dir.Path, options);
        using var flushGate = new ManualResetEventSlim();
        engine.FaultInjection = point =>
        {
            if (point == "flush:table-written")
                flushGate.Wait(TimeSpan.FromSeconds(30));
        };
        var applied = 0;
        var writer = Task.Run(() =>
        {
            for (var i = 0; i < 1000; i++)
            {
                engine.Put(TestData.Key(i), TestData.Value(i), i + 1);
                Volatile.Write(ref applied, i + 1);
            }
        });

        await Eventually.WaitUntilAsync(
            () => engine.Stats is { ImmutableMemtableBytes: > 0 } s && s.MemtableBytes >= options.MemtableBytes,
            "the writer to fill a second memtable while the first cannot flush",
            TimeSpan.FromSeconds(30),
            () => $"{Volatile.Read(ref applied)} puts applied; memtable {engine.Stats.MemtableBytes} bytes, immutable {engine.Stats.ImmutableMemtableBytes} bytes");

        writer.IsCompleted.Should().BeFalse();
        var stuckAt = Volatile.Read(ref applied);
        stuckAt.Should().BeLessThan(1000);
        flushGate.Set();
        await writer.WaitAsync(TimeSpan.FromSeconds(60));
        engine.Get(TestData.Key(999)).Should().Equal(TestData.Value(999));
        engine.Stats.MemtableBytes.Should().BeLessThan(options.MemtableBytes * 2);
    }

    [Fact]
    public async Task Values_of_several_megabytes_survive_flush_compaction_and_reopen()
    {
        var big = Enumerable.Range(0, 3).Select(i => TestData.Value(i, length: (5 << 20) + i)).ToArray();
        using (var engine = StorageEngine.Open(dir.Path, new StorageOptions { MemtableBytes = 4 << 20, BlockCacheBytes = 1 << 20 }))
        {
            for (var i = 0; i < big.Length; i++)
                engine.Put(TestData.Key(i), big[i], i + 1);
            engine.Put(TestData.Key(100), [7], 10);
            engine.CompactAll();
            await engine.WaitForBackgroundWorkAsync();
            engine.Get(TestData.Key(1)).Should().Equal(big[1]);
        }

        using var reopened = StorageEngine.Open(dir.Path, new StorageOptions());
        for (var i = 0; i < big.Length; i++)
            reopened.Get(TestData.Key(i)).Should().Equal(big[i]);
        reopened.Get(TestData.Key(100)).Should().Equal([7]);
    }

    [Fact]
    public void Scans_respect_bounds_prefixes_and_unsigned_byte_order()
    {
        using var engine = StorageEngine.Open(dir.Path, TestData.Small());
        byte[][] keys = [[0x00], [0x01, 0xFF], [0x7F], [0x80], [0x80, 0x00], [0x80, 0xFF], [0x81], [0xFF], [0xFF, 0xFF]];
        var batch = new WriteBatch();
        foreach (var key in keys.Reverse())
            batch.Put(key, key);
        engine.Apply(batch, 1, 1);
        engine.Flush();
        engine.Put([0x80, 0x01], [1], 2);

        using var view = engine.OpenView();

        view.Scan().Select(kv => Convert.ToHexString(kv.Key)).Should().Equal("00", "01FF", "7F", "80", "8000", "8001", "80FF", "81", "FF", "FFFF");
        view.Scan([0x7F], [0x81]).Select(kv => Convert.ToHexString(kv.Key)).Should().Equal("7F", "80", "8000", "8001", "80FF");
        view.ScanPrefix([0x80]).Select(kv => Convert.ToHexString(kv.Key)).Should().Equal("80", "8000", "8001", "80FF");
        view.ScanPrefix([0xFF]).Select(kv => Convert.ToHexString(kv.Key)).Should().Equal("FF", "FFFF");
        view.Scan([0x90], [0x10]).Should().BeEmpty();
    }

    [Fact]
    public void Raft_indices_must_grow_and_empty_batches_still_advance_them_durably()
    {
        using (var engine = StorageEngine.Open(dir.Path, TestData.Small()))
        {
            engine.Put(TestData.Key(1), [1], 5);
            var stale = () => engine.Put(TestData.Key(2), [2], 5);
            stale.Should().Throw<ArgumentOutOfRangeException>();

            engine.Apply(new WriteBatch(), 9, term: 3);
            engine.AppliedIndex.Should().Be(9);
            engine.AppliedTerm.Should().Be(3);
            engine.Flush();
            engine.DurableIndex.Should().Be(9);
            engine.DurableTerm.Should().Be(3);
        }

        using var reopened = StorageEngine.Open(dir.Path, TestData.Small());
        reopened.DurableIndex.Should().Be(9);
        reopened.AppliedTerm.Should().Be(3);
        reopened.Get(TestData.Key(1)).Should().Equal([1]);
    }

    [Fact]
    public void A_directory_is_owned_by_one_engine_at_a_time()
    {
        using var engine = StorageEngine.Open(dir.Path, TestData.Small());
        var second = () => StorageEngine.Open(dir.Path, TestData.Small());
        second.Should().Throw<IOException>().WithMessage("*in use*");
    }

    [Fact]
    public void Stats_report_levels_cache_and_indices()
    {
        using var engine = StorageEngine.Open(dir.Path, TestData.Small(backgroundCompaction: false));
        for (var i = 0; i < 200; i++)
            engine.Put(TestData.Key(i), TestData.Value(i), i + 1);
        engine.Flush();
        for (var i = 0; i < 200; i++)
            engine.Get(TestData.Key(i));

        var stats = engine.Stats;

        stats.TablesPerLevel[0].Should().BeGreaterThan(0);
        stats.TotalTableBytes.Should().Be(new DirectoryInfo(dir.Path).GetFiles("*.sst").Sum(f => f.Length));
        stats.CacheHits.Should().BeGreaterThan(0);
        stats.CacheBytes.Should().BeInRange(1, stats.CacheCapacity);
        stats.DurableIndex.Should().Be(200);
        stats.FlushesCompleted.Should().BeGreaterThan(0);
    }

    [Fact]
    public void Options_reject_out_of_range_values()
    {
        FluentActions.Invoking(() => new StorageOptions { MemtableBytes = 10 }).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new StorageOptions { BlockSize = 0 }).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new StorageOptions { BloomBitsPerKey = -1 }).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new StorageOptions { BlockCacheBytes = -1 }).Should().Throw<ArgumentOutOfRangeException>();
        var inconsistent = new StorageOptions { Level0CompactionTrigger = 8, Level0StopWritesTrigger = 4 };
        FluentActions.Invoking(() => StorageEngine.Open(dir.Path, inconsistent)).Should().Throw<ArgumentOutOfRangeException>();
    }

    private List<string> TableFiles() => Directory.GetFiles(dir.Path, "*.sst").Select(f => Path.GetFileName(f)!).ToList();
}
