using KvDb.Core.Storage;

namespace KvDb.Tests.Storage;

public sealed class CheckpointTests : IDisposable
{
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private StorageEngine Populated(string name, int keys, int seed, long firstIndex = 1)
    {
        var engine = StorageEngine.Open(dir.Sub(name), TestData.Small());
        var random = new Random(seed);
        var index = firstIndex;
        for (var i = 0; i < keys; i++)
        {
            if (random.Next(6) == 0)
                engine.Delete(TestData.Key(random.Next(keys)), index++);
            else
                engine.Put(TestData.Key(random.Next(keys)), TestData.Value(i, seed), index++);
        }

        return engine;
    }

    private static async Task<byte[]> Archive(StorageEngine engine)
    {
        engine.Flush();
        using var checkpoint = engine.OpenCheckpoint();
        using var stream = new MemoryStream();
        await checkpoint.WriteToAsync(stream);
        stream.Length.Should().Be(checkpoint.Length);
        return stream.ToArray();
    }

    [Fact]
    public async Task An_installed_checkpoint_reproduces_the_source_contents_and_indices()
    {
        using var source = Populated("a", 600, seed: 1, firstIndex: 1000);
        await source.WaitForBackgroundWorkAsync();
        using var target = Populated("b", 300, seed: 2);
        var archive = await Archive(source);

        await target.InstallCheckpointAsync(new MemoryStream(archive));

        target.DurableIndex.Should().Be(source.DurableIndex);
        target.DurableTerm.Should().Be(source.DurableTerm);
        target.AppliedIndex.Should().Be(source.DurableIndex);
        KeyValueModel.Describe(target.ScanAll()).Should().Equal(KeyValueModel.Describe(source.ScanAll()));
        target.Get(TestData.Key(299)).Should().Equal(source.Get(TestData.Key(299)));

        target.Put(TestData.Key(99_999), [9], target.AppliedIndex + 1);
        target.Get(TestData.Key(99_999)).Should().Equal([9]);
    }

    [Fact]
    public async Task An_installed_checkpoint_survives_a_restart_and_old_files_are_gone()
    {
        using (var source = Populated("a", 400, seed: 3, firstIndex: 50))
        using (var target = Populated("b", 400, seed: 4))
        {
            var archive = await Archive(source);
            target.InstallCheckpoint(new MemoryStream(archive));
            await target.WaitForBackgroundWorkAsync();
        }

        using var sourceAgain = StorageEngine.Open(dir.Sub("a"), TestData.Small());
        using var reopened = StorageEngine.Open(dir.Sub("b"), TestData.Small());
        await reopened.WaitForBackgroundWorkAsync();
        reopened.DurableIndex.Should().Be(sourceAgain.DurableIndex);
        KeyValueModel.Describe(reopened.ScanAll()).Should().Equal(KeyValueModel.Describe(sourceAgain.ScanAll()));
        Directory.GetFiles(dir.Sub("b"), "*.sst").Should().HaveCount(reopened.Stats.TableCount);
        Directory.Exists(Path.Combine(dir.Sub("b"), "staging")).Should().BeFalse();
    }

    [Fact]
    public async Task A_corrupted_or_truncated_archive_is_rejected_and_the_old_state_is_untouched()
    {
        using var source = Populated("a", 300, seed: 5);
        using var target = Populated("b", 300, seed: 6);
        target.Flush();
        await target.WaitForBackgroundWorkAsync();
        var archive = await Archive(source);
        var before = KeyValueModel.Describe(target.ScanAll());
        var filesBefore = Directory.GetFiles(dir.Sub("b")).Select(Path.GetFileName).Order().ToList();
        var (durable, applied) = (target.DurableIndex, target.AppliedIndex);

        var damaged = new List<byte[]>();
        foreach (var offset in new[] { 3, 20, 50, 70, archive.Length / 3, archive.Length / 2, archive.Length - 30, archive.Length - 3 })
        {
            var copy = (byte[])archive.Clone();
            copy[offset] ^= 0x01;
            damaged.Add(copy);
        }

        damaged.Add(archive[..^1]);
        damaged.Add(archive[..(archive.Length / 2)]);

        foreach (var bad in damaged)
        {
            var install = () => target.InstallCheckpointAsync(new MemoryStream(bad));
            await install.Should().ThrowAsync<StorageCorruptionException>().WithMessage("*checkpoint archive*");
            KeyValueModel.Describe(target.ScanAll()).Should().Equal(before);
            (target.DurableIndex, target.AppliedIndex).Should().Be((durable, applied));
            Directory.GetFiles(dir.Sub("b")).Select(Path.GetFileName).Order().Should().Equal(filesBefore);
            Directory.Exists(Path.Combine(dir.Sub("b"), "staging")).Should().BeFalse();
        }

        target.Put(TestData.Key(1), [1], applied + 1);
        target.Get(TestData.Key(1)).Should().Equal([1], "a rejected install leaves the engine usable");
    }

    [Fact]
    public async Task A_checkpoint_pins_its_files_against_compaction_until_disposed()
    {
        using var source = Populated("a", 300, seed: 7);
        source.Flush();
        var expected = KeyValueModel.Describe(source.ScanAll());
        var checkpointIndex = source.DurableIndex;
        using var checkpoint = source.OpenCheckpoint();

        for (var i = 0; i < 300; i++)
            source.Delete(TestData.Key(i), checkpointIndex + 1 + i);
        source.CompactAll();
        source.ScanAll().Should().BeEmpty();

        using var stream = new MemoryStream();
        await checkpoint.WriteToAsync(stream);
        using var target = StorageEngine.Open(dir.Sub("b"), TestData.Small());
        await target.InstallCheckpointAsync(new MemoryStream(stream.ToArray()));

        target.DurableIndex.Should().Be(checkpointIndex);
        KeyValueModel.Describe(target.ScanAll()).Should().Equal(expected);
    }

    [Fact]
    public async Task Views_opened_before_an_install_keep_reading_the_old_state()
    {
        using var source = Populated("a", 200, seed: 8, firstIndex: 5000);
        using var target = Populated("b", 200, seed: 9);
        target.Flush();
        var old = KeyValueModel.Describe(target.ScanAll());
        using var view = target.OpenView();

        await target.InstallCheckpointAsync(new MemoryStream(await Archive(source)));
        await target.WaitForBackgroundWorkAsync();

        KeyValueModel.Describe(view.Scan()).Should().Equal(old);
        KeyValueModel.Describe(target.ScanAll()).Should().Equal(KeyValueModel.Describe(source.ScanAll()));
    }

    [Fact]
    public async Task A_kill_at_any_step_of_an_install_leaves_the_old_or_the_new_state()
    {
        using var source = Populated("a", 300, seed: 10, firstIndex: 900);
        var archive = await Archive(source);
        var newState = KeyValueModel.Describe(source.ScanAll());
        var images = new List<(string Point, string Path)>();
        List<string> oldState;
        using (var target = Populated("b", 300, seed: 11))
        {
            target.Flush();
            await target.WaitForBackgroundWorkAsync();
            oldState = KeyValueModel.Describe(target.ScanAll());
            target.FaultInjection = point =>
            {
                var image = dir.Sub($"image{images.Count}");
                CrashSafetyTests.CopyDirectory(dir.Sub("b"), image);
                images.Add((point, image));
            };
            await target.InstallCheckpointAsync(new MemoryStream(archive));
        }

        images.Select(i => i.Point).Should().Equal("checkpoint:verified", "checkpoint:tables-moved", "manifest:before-rename", "manifest:after-rename");
        foreach (var (point, path) in images)
        {
            using var reopened = StorageEngine.Open(path, TestData.Small());
            await reopened.WaitForBackgroundWorkAsync();
            var expected = point == "manifest:after-rename" ? newState : oldState;
            KeyValueModel.Describe(reopened.ScanAll()).Should().Equal(expected, $"a kill at {point}");
            Directory.GetFiles(path, "*.sst").Should().HaveCount(reopened.Stats.TableCount);
            Directory.Exists(Path.Combine(path, "staging")).Should().BeFalse();
        }
    }
}
