// A write stall (the memtable is full while the previous one is still being flushed) is
// awaited, not waited out on a blocked thread: WaitForWriteRoomAsync stays pending while the
// flush is held, and completes once the flush has made room. FlushAsync likewise completes
// when the flush it asked for is durable.
using KvDb.Core.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvDb.Tests.Storage;

public sealed class WriteStallTests
{
    [Fact]
    public async Task A_stalled_writer_awaits_room_and_resumes_when_the_flush_ends()
    {
        using var dir = new TempDirectory();
        var release = new ManualResetEventSlim();
        await using var engine = StorageEngine.Open(dir.Path, TestData.Small(backgroundCompaction: false), NullLogger.Instance);

        // Hold every flush after its table is written, on the engine's background worker.
        engine.FaultInjection = point =>
        {
            if (point == "flush:table-written")
                release.Wait(TimeSpan.FromSeconds(30));
        };

        // Fill one memtable (its flush is then held), then the next one.
        var index = 0L;
        while (!engine.MustWaitForRoom && index < 10_000)
        {
            index++;
            engine.Put(TestData.Key((int)index), TestData.Value((int)index), index);
        }

        engine.MustWaitForRoom.Should().BeTrue("two full memtables with the first one's flush held is a write stall");
        var room = engine.WaitForWriteRoomAsync().AsTask();
        await Task.Yield();
        room.IsCompleted.Should().BeFalse("the flush that makes room is still held");

        release.Set();
        await room.WaitAsync(TimeSpan.FromSeconds(30));
        engine.MustWaitForRoom.Should().BeFalse();
        engine.Put(TestData.Key(0), TestData.Value(0), index + 1);

        await engine.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        engine.DurableIndex.Should().Be(index + 1);
    }
}
