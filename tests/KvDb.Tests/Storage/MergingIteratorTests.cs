using KvDb.Core.Storage;

namespace KvDb.Tests.Storage;

public sealed class MergingIteratorTests
{
    /// <summary>A memtable holding the given (key, sequence, kind, value) entries, as an iterator source.</summary>
    private static InternalIterator Source(params (string Key, ulong Sequence, EntryKind Kind, string Value)[] entries)
    {
        var memtable = new Memtable(ApplyPoint.Empty, 4096);
        foreach (var (key, sequence, kind, value) in entries)
            memtable.Add(sequence, kind, TestData.Bytes(key), TestData.Bytes(value));
        return memtable.NewIterator();
    }

    private static List<string> Drain(InternalIterator it)
    {
        var seen = new List<string>();
        for (; it.Valid; it.Next())
            seen.Add($"{TestData.Text(InternalKey.UserKey(it.Key))}@{InternalKey.Sequence(it.Key)}");
        return seen;
    }

    [Fact]
    public void Merges_sources_into_one_internal_key_order()
    {
        using var merged = new MergingIterator([
            Source(("b", 9, EntryKind.Put, "b9"), ("d", 8, EntryKind.Put, "d8")),
            Source(("a", 1, EntryKind.Put, "a1"), ("b", 2, EntryKind.Put, "b2"), ("e", 3, EntryKind.Put, "e3")),
            Source(),
            Source(("c", 4, EntryKind.Delete, ""), ("d", 5, EntryKind.Put, "d5")),
        ]);

        merged.SeekToFirst();

        Drain(merged).Should().Equal("a@1", "b@9", "b@2", "c@4", "d@8", "d@5", "e@3");
    }

    [Fact]
    public void Seek_positions_every_source()
    {
        using var merged = new MergingIterator([
            Source(("a", 1, EntryKind.Put, ""), ("m", 2, EntryKind.Put, ""), ("x", 3, EntryKind.Put, "")),
            Source(("b", 4, EntryKind.Put, ""), ("n", 5, EntryKind.Put, ""), ("y", 6, EntryKind.Put, "")),
        ]);

        merged.Seek(InternalKey.Create("c"u8, 100, EntryKind.Put));

        Drain(merged).Should().Equal("m@2", "n@5", "x@3", "y@6");
    }

    [Fact]
    public void User_iterator_shows_newest_visible_versions_and_hides_tombstones()
    {
        var merged = new MergingIterator([
            Source(("a", 10, EntryKind.Delete, ""), ("b", 11, EntryKind.Put, "b-new"), ("c", 12, EntryKind.Put, "c-future")),
            Source(("a", 1, EntryKind.Put, "a-old"), ("b", 2, EntryKind.Put, "b-old"), ("c", 3, EntryKind.Put, "c-old"), ("d", 4, EntryKind.Put, "d")),
        ]);
        using var user = new UserIterator(merged, snapshot: 11, endExclusive: TestData.Bytes("d"));

        var seen = new List<string>();
        while (user.MoveNext())
            seen.Add($"{TestData.Text(user.Key)}={TestData.Text(user.Value)}");

        seen.Should().Equal("b=b-new", "c=c-old");
        user.MoveNext().Should().BeFalse("an exhausted iterator stays exhausted");
    }
}
