// Idempotency keys past their window are forgotten a few per idempotent write, oldest first.
// Forgotten keys stay in an on-disk store as tombstones until a compaction, so each write's
// search for the oldest must start past the keys already forgotten, and still find a key whose
// proposer's clock ran behind the rest.
using System.Text;
using KvDb.Core.Commands;
using KvDb.Core.State;

namespace KvDb.Tests.State;

public sealed class IdempotencyForgettingTests : IDisposable
{
    private static readonly long Window = (long)CommandExecutor.IdempotencyWindow.TotalMilliseconds;

    private readonly ScanRecordingStore store = new();
    private readonly CommandExecutor executor;
    private long index;

    public IdempotencyForgettingTests() => executor = new CommandExecutor(store);

    public void Dispose() => store.Dispose();

    [Fact]
    public void Each_write_looks_for_keys_to_forget_from_the_last_key_forgotten()
    {
        for (var i = 0; i < 20; i++)
            PutWithKey(10, $"old-{i:D2}");

        var forgotten = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            store.ScanStarts.Clear();
            PutWithKey(Window * 3, $"new-{i}");
            var start = ExpiryScanStarts().Should().ContainSingle().Subject;
            if (forgotten.Count == 0)
                start.Should().Equal(StoreKeys.Start(StoreKeys.IdempotencyExpiry), "nothing was forgotten yet: the scan starts at the index's start");
            else
                StoreKeys.ParseIdempotencyExpiry(start).Key.Should().Be(forgotten[^1], "the keys before it are tombstones to step over");
            forgotten = Enumerable.Range(0, 20).Select(n => $"old-{n:D2}").Where(k => !IsRemembered(k)).ToList();
        }

        forgotten.Should().HaveCount(20, "four expired keys are forgotten per write");
        Enumerable.Range(0, 5).Should().OnlyContain(i => IsRemembered($"new-{i}"));
    }

    [Fact]
    public void A_key_remembered_below_the_last_forgotten_one_is_still_forgotten_when_it_expires()
    {
        for (var i = 0; i < 8; i++)
            PutWithKey(1000, $"old-{i}");
        PutWithKey(Window * 3, "new-0");
        PutWithKey(Window * 3, "new-1");

        // A leader whose clock runs behind the keys just forgotten.
        PutWithKey(500, "behind");
        IsRemembered("behind").Should().BeTrue();

        for (var i = 2; i < 6; i++)
            PutWithKey(Window * 3, $"new-{i}");

        IsRemembered("behind").Should().BeFalse("it is the oldest key, past its window, though it sorts below where the last scan stopped");
        Enumerable.Range(0, 8).Should().OnlyContain(i => !IsRemembered($"old-{i}"));
        using var view = store.OpenView();
        view.Scan(StoreKeys.Start(StoreKeys.IdempotencyExpiry), StoreKeys.End(StoreKeys.IdempotencyExpiry)).Count()
            .Should().Be(6, "the expiry index holds the six new keys and nothing else");
    }

    [Fact]
    public void A_store_written_before_the_scan_start_was_kept_forgets_from_the_start_of_the_index()
    {
        for (var i = 0; i < 4; i++)
            PutWithKey(10, $"old-{i}");
        var count = new byte[sizeof(long)];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(count, 4);
        var batch = new StoreBatch();
        batch.Put(StoreKeys.IdempotencyCount, count);
        store.Write(++index, 1, batch);

        PutWithKey(Window * 3, "new");

        Enumerable.Range(0, 4).Should().OnlyContain(i => !IsRemembered($"old-{i}"));
        IsRemembered("new").Should().BeTrue();
    }

    private void PutWithKey(long proposedAtUnixMs, string idempotencyKey)
    {
        var results = new CommandResult[1];
        KvCommand put = new PutCommand { Key = Encoding.UTF8.GetBytes("k-" + idempotencyKey), Value = [], IdempotencyKey = idempotencyKey };
        executor.Execute(++index, 1, proposedAtUnixMs, [put], results);
        results[0].Outcome.Should().Be(CommandOutcome.Applied);
    }

    private bool IsRemembered(string idempotencyKey) => store.TryGet(StoreKeys.ForIdempotency(idempotencyKey), out _);

    private IEnumerable<byte[]> ExpiryScanStarts()
        => store.ScanStarts.Where(static start => start is [StoreKeys.IdempotencyExpiry, ..]);
}
