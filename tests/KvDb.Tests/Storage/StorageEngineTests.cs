using KvDb.Core.Storage;

namespace KvDb.Tests.Storage;

public sealed class StorageEngineTests
{
    [Fact]
    public async Task Put_get_delete_round_trip_through_memtable_and_tables()
    {
        using var dir = new TempDirectory();
        using var engine = StorageEngine.Open(dir.Path, TestData.Small());
        for (var i = 0; i < 500; i++)
            engine.Put(TestData.Key(i), TestData.Value(i), index: i + 1);
        for (var i = 0; i < 500; i += 3)
            engine.Delete(TestData.Key(i), index: 501 + i);

        engine.Flush();
        await engine.WaitForBackgroundWorkAsync();

        engine.Stats.TableCount.Should().BeGreaterThan(0);
        for (var i = 0; i < 500; i++)
        {
            if (i % 3 == 0)
                engine.Get(TestData.Key(i)).Should().BeNull($"key {i} was deleted");
            else
                engine.Get(TestData.Key(i)).Should().Equal(TestData.Value(i));
        }
    }

    [Fact]
    public void Reopen_restores_state_as_of_the_last_flush_and_reports_its_index()
    {
        using var dir = new TempDirectory();
        using (var engine = StorageEngine.Open(dir.Path, TestData.Small()))
        {
            for (var i = 0; i < 300; i++)
                engine.Put(TestData.Key(i), TestData.Value(i), index: i + 1);
            engine.Flush();
            engine.DurableIndex.Should().Be(300);
            engine.Put(TestData.Key(1000), TestData.Value(1000), index: 301);
            engine.AppliedIndex.Should().Be(301);
        }

        using var reopened = StorageEngine.Open(dir.Path, TestData.Small());
        reopened.DurableIndex.Should().Be(300);
        reopened.AppliedIndex.Should().Be(300);
        reopened.Get(TestData.Key(1000)).Should().BeNull("it was applied after the last flush; the Raft log replays it");
        for (var i = 0; i < 300; i++)
            reopened.Get(TestData.Key(i)).Should().Equal(TestData.Value(i));
    }
}
