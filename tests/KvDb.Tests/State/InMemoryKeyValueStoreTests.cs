using System.Text;
using KvDb.Core.State;

namespace KvDb.Tests.State;

public sealed class InMemoryKeyValueStoreTests
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static StoreBatch Batch(params (string Key, string? Value)[] writes)
    {
        var batch = new StoreBatch();
        foreach (var (key, value) in writes)
        {
            if (value is null)
                batch.Delete(Bytes(key));
            else
                batch.Put(Bytes(key), Bytes(value));
        }

        return batch;
    }

    [Fact]
    public void A_view_is_a_point_in_time_image_and_scans_in_byte_order()
    {
        using var store = new InMemoryKeyValueStore();
        store.Write(1, 1, Batch(("b", "1"), ("a", "1"), ("\u00e9", "1"), ("Z", "1")));
        using var view = store.OpenView();
        store.Write(2, 1, Batch(("a", "2"), ("b", null), ("c", "2")));

        view.Index.Should().Be(1);
        view.TryGet(Bytes("a"), out var a).Should().BeTrue();
        a.Should().Equal(Bytes("1"));
        view.Scan().Select(p => Encoding.UTF8.GetString(p.Key)).Should().Equal("Z", "a", "b", "\u00e9");
        view.Scan(Bytes("a"), Bytes("b")).Should().ContainSingle();
        store.Count.Should().Be(4);
    }

    [Fact]
    public void A_batch_index_already_written_is_ignored_and_the_last_write_to_a_key_wins()
    {
        using var store = new InMemoryKeyValueStore();
        store.Write(5, 1, Batch(("k", "first"), ("k", "second")));
        store.Write(5, 1, Batch(("k", "replayed")));
        store.Write(3, 1, Batch(("k", "older")));

        store.TryGet(Bytes("k"), out var value).Should().BeTrue();
        value.Should().Equal(Bytes("second"));
        store.AppliedIndex.Should().Be(5);
    }
}
