using KvDb.Core.Storage;
using TableSet = KvDb.Core.Storage.TableSet;

namespace KvDb.Tests.Storage;

public sealed class CompactionTests : IDisposable
{
    private readonly TempDirectory dir = new();
    private readonly List<TableReader> readers = [];
    private readonly StorageOptions options = new()
    {
        BlockSize = 256,
        TargetTableBytes = 2048,
        Level0CompactionTrigger = 2,
        Level0StopWritesTrigger = 8,
        Level1MaxBytes = 4096,
    };

    private ulong nextNumber = 1;

    public void Dispose()
    {
        readers.ForEach(r => r.Dispose());
        dir.Dispose();
    }

    /// <summary>A table of (key, sequence, kind) entries; values are "key@sequence".</summary>
    private TableHandle Table(params (string Key, ulong Sequence, EntryKind Kind)[] entries)
    {
        var number = nextNumber++;
        var path = dir.Sub(FileNames.Table(number));
        TableFileInfo info;
        using (var builder = new TableBuilder(path, options))
        {
            foreach (var (key, sequence, kind) in entries.OrderBy(e => InternalKey.Create(TestData.Bytes(e.Key), e.Sequence, e.Kind), InternalKeyComparer.Instance))
                builder.Add(InternalKey.Create(TestData.Bytes(key), sequence, kind), TestData.Bytes($"{key}@{sequence}"));
            info = builder.Finish();
        }

        var reader = TableReader.Open(path, info.Size, new BlockCache(0), verifyAllBlocks: false);
        readers.Add(reader);
        return new TableHandle(new FileMetadata(number, info.Size, info.EntryCount, info.Smallest, info.Largest), reader, _ => { });
    }

    private static TableSet Levels(params TableHandle[][] levels)
    {
        var all = new TableHandle[TableSet.LevelCount][];
        for (var level = 0; level < all.Length; level++)
            all[level] = level < levels.Length ? levels[level] : [];
        return new TableSet(all, ApplyPoint.Empty, 100);
    }

    private static List<string> Merge(Compaction compaction, TableSet version)
    {
        var sink = new ListSink();
        compaction.MergeInto(version, sink, long.MaxValue, () => false);
        return sink.Entries;
    }

    [Fact]
    public void Level0_compaction_keeps_only_the_newest_version_of_each_key()
    {
        var version = Levels([
            Table(("b", 21, EntryKind.Put), ("c", 22, EntryKind.Put)),
            Table(("a", 5, EntryKind.Put), ("b", 6, EntryKind.Put), ("c", 7, EntryKind.Put)),
        ]);

        var compaction = Compaction.Pick(version, options, new byte[TableSet.LevelCount][])!;

        compaction.Level.Should().Be(0);
        compaction.OutputLevel.Should().Be(1);
        Merge(compaction, version).Should().Equal("a@5 Put", "b@21 Put", "c@22 Put");
    }

    [Fact]
    public void Tombstones_are_dropped_with_what_they_shadow_when_no_deeper_level_has_the_key()
    {
        var version = Levels(
            [Table(("a", 20, EntryKind.Delete), ("b", 21, EntryKind.Put)), Table(("c", 22, EntryKind.Put))],
            [Table(("a", 5, EntryKind.Put), ("b", 6, EntryKind.Put))]);

        var compaction = Compaction.Pick(version, options, new byte[TableSet.LevelCount][])!;

        compaction.Parents.Should().HaveCount(1);
        Merge(compaction, version).Should().Equal("b@21 Put", "c@22 Put");
    }

    [Fact]
    public void Tombstones_survive_while_a_deeper_level_still_holds_the_key()
    {
        var version = Levels(
            [Table(("a", 20, EntryKind.Delete), ("b", 21, EntryKind.Put)), Table(("a", 9, EntryKind.Put))],
            [],
            [Table(("a", 1, EntryKind.Put), ("z", 2, EntryKind.Put))]);

        var compaction = Compaction.Pick(version, options, new byte[TableSet.LevelCount][])!;

        Merge(compaction, version).Should().Equal("a@20 Delete", "b@21 Put");
    }

    [Fact]
    public void An_over_budget_level_moves_a_table_without_overlap_down_untouched()
    {
        var big = Enumerable.Range(0, 200).Select(i => ($"k{i:D4}", (ulong)i + 1, EntryKind.Put)).ToArray();
        var version = Levels([], [Table(big)], [Table(("zzz", 1, EntryKind.Put))]);

        var compaction = Compaction.Pick(version, options, new byte[TableSet.LevelCount][])!;

        compaction.Level.Should().Be(1);
        compaction.IsTrivialMove.Should().BeTrue();
    }

    [Fact]
    public void An_over_budget_level_merges_a_table_with_the_overlapping_tables_below()
    {
        var big = Enumerable.Range(0, 200).Select(i => ($"k{i:D4}", (ulong)i + 1000, EntryKind.Put)).ToArray();
        var below = Table(("k0100", 5, EntryKind.Put));
        var beside = Table(("zzz", 5, EntryKind.Put));
        var version = Levels([], [Table(big)], [below, beside]);

        var compaction = Compaction.Pick(version, options, new byte[TableSet.LevelCount][])!;

        compaction.IsTrivialMove.Should().BeFalse();
        compaction.Parents.Should().Equal(below);
        Merge(compaction, version).Should().HaveCount(200).And.Contain("k0100@1100 Put");
    }

    [Fact]
    public void Nothing_is_picked_while_every_level_is_within_budget()
    {
        var version = Levels([Table(("a", 1, EntryKind.Put))], [Table(("b", 1, EntryKind.Put))]);
        Compaction.Pick(version, options, new byte[TableSet.LevelCount][]).Should().BeNull();
    }

    [Fact]
    public async Task CompactAll_leaves_one_entry_per_live_key_and_no_tombstones()
    {
        using var engineDir = new TempDirectory();
        using var engine = StorageEngine.Open(engineDir.Path, TestData.Small(backgroundCompaction: false));
        long index = 0;
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < 200; i++)
                engine.Put(TestData.Key(i), TestData.Value(i, round), ++index);
            engine.Flush();
        }

        for (var i = 0; i < 200; i += 2)
            engine.Delete(TestData.Key(i), ++index);
        engine.Flush();
        engine.DescribeLevels().SelectMany(l => l).Sum(t => t.EntryCount).Should().Be(700);

        engine.CompactAll();
        await engine.WaitForBackgroundWorkAsync();

        var levels = engine.DescribeLevels();
        levels[0].Should().BeEmpty();
        levels.SelectMany(l => l).Sum(t => t.EntryCount).Should().Be(100);
        engine.Stats.ApproximateEntryCount.Should().Be(100);
        engine.ScanAll().Select(kv => Convert.ToHexString(kv.Value)).Should()
            .Equal(Enumerable.Range(0, 200).Where(i => i % 2 == 1).Select(i => Convert.ToHexString(TestData.Value(i, 2))));
        engine.Stats.BytesCompactedWritten.Should().BeGreaterThan(0);
    }

    private sealed class ListSink : ICompactionSink
    {
        public List<string> Entries { get; } = [];

        public void Add(ReadOnlySpan<byte> internalKey, ReadOnlySpan<byte> value)
            => Entries.Add($"{TestData.Text(InternalKey.UserKey(internalKey))}@{InternalKey.Sequence(internalKey)} {InternalKey.Kind(internalKey)}");

        public void CutIfAtLeast(long bytes)
        {
        }
    }
}
