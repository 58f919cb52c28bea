using System.Buffers.Binary;
using KvDb.Core.Storage;

namespace KvDb.Tests.Storage;

public sealed class MemtableTests
{
    private static Memtable NewMemtable() => new(ApplyPoint.Empty, 64 * 1024);

    [Fact]
    public void Iterates_in_internal_key_order_whatever_the_insert_order()
    {
        var memtable = NewMemtable();
        var random = new Random(1);
        var sequence = 0UL;
        foreach (var i in Enumerable.Range(0, 2000).OrderBy(_ => random.Next()))
            memtable.Add(++sequence, EntryKind.Put, TestData.Key(i % 700), TestData.Value(i));

        var keys = new List<byte[]>();
        using (var it = memtable.NewIterator())
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
                keys.Add(it.Key.ToArray());
        }

        keys.Should().HaveCount(2000);
        keys.Should().BeInAscendingOrder(InternalKeyComparer.Instance);
    }

    [Fact]
    public void Lookup_sees_the_newest_version_at_or_below_the_snapshot()
    {
        var memtable = NewMemtable();
        memtable.Add(1, EntryKind.Put, "k"u8, "v1"u8);
        memtable.Add(2, EntryKind.Put, "k"u8, "v2"u8);
        memtable.Add(3, EntryKind.Delete, "k"u8, default);

        Lookup(memtable, "k", 1).Should().Be((LookupResult.Found, "v1"));
        Lookup(memtable, "k", 2).Should().Be((LookupResult.Found, "v2"));
        Lookup(memtable, "k", 3).Should().Be((LookupResult.Deleted, ""));
        Lookup(memtable, "j", 3).Should().Be((LookupResult.NotFound, ""));
        Lookup(memtable, "l", 3).Should().Be((LookupResult.NotFound, ""));
    }

    [Fact]
    public void Accounts_for_keys_and_values_and_stores_values_bigger_than_a_chunk()
    {
        var memtable = NewMemtable();
        var big = TestData.Value(1, length: 1 << 20);
        memtable.Add(1, EntryKind.Put, "big"u8, big);

        memtable.ApproximateBytes.Should().BeGreaterThan(big.Length);
        memtable.TryGet(InternalKey.Create("big"u8, 1, EntryKind.Put), out var value).Should().Be(LookupResult.Found);
        value.ToArray().Should().Equal(big);
    }

    [Fact]
    public async Task Concurrent_readers_see_a_sorted_list_and_every_published_key()
    {
        // One writer inserts keys 0..N in random order, publishing after each; readers check
        // that the list is always sorted and that every key published so far is found.
        const int count = 20_000;
        var memtable = NewMemtable();
        var order = Enumerable.Range(0, count).OrderBy(_ => Random.Shared.Next()).ToArray();
        var published = new int[count];
        var publishedCount = 0;
        var totalChecks = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            var checks = 0;
            while (Volatile.Read(ref publishedCount) < count && !stop.IsCancellationRequested)
            {
                var seen = Volatile.Read(ref publishedCount);
                if (seen > 0)
                {
                    var key = IntKey(published[Random.Shared.Next(seen)]);
                    memtable.TryGet(InternalKey.Create(key, ulong.MaxValue >> 8, EntryKind.Put), out ReadOnlySpan<byte> _)
                        .Should().Be(LookupResult.Found);
                }

                AssertSorted(memtable);
                checks++;
                Interlocked.Increment(ref totalChecks);
            }

            return checks;
        })).ToArray();

        for (var i = 0; i < count; i++)
        {
            memtable.Add((ulong)i + 1, EntryKind.Put, IntKey(order[i]), "v"u8);
            published[i] = order[i];
            Volatile.Write(ref publishedCount, i + 1);
            if (i == count / 2)
            {
                // Make sure the readers really overlap the writer, however the threads are scheduled.
                await Eventually.WaitUntilAsync(() => Volatile.Read(ref totalChecks) >= 10, "the readers to make ten checks while the writer adds keys", TimeSpan.FromSeconds(20));
            }
        }

        var checksDone = await Task.WhenAll(readers);
        checksDone.Sum().Should().BeGreaterThanOrEqualTo(10);
        AssertSorted(memtable);
    }

    private static byte[] IntKey(int i)
    {
        var key = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(key, i);
        return key;
    }

    private static void AssertSorted(Memtable memtable)
    {
        using var it = memtable.NewIterator();
        byte[]? previous = null;
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            if (previous is not null && InternalKey.Compare(previous, it.Key) >= 0)
                throw new InvalidOperationException("memtable out of order");
            previous = it.Key.ToArray();
        }
    }

    private static (LookupResult, string) Lookup(Memtable memtable, string key, ulong snapshot)
    {
        var result = memtable.TryGet(InternalKey.Create(TestData.Bytes(key), snapshot, InternalKey.SeekKind), out var value);
        return (result, TestData.Text(value));
    }
}
