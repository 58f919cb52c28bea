// Lists as every member applies and reads them: offsets from 0 without gaps, nonce
// de-duplication (exactly-once replays), Idempotency-Key retries, timestamps that never go back, keyspace counters, and
// pages in both directions sought by offset, timestamp and nonce.
using System.Text;
using KvDb.Core.Commands;
using KvDb.Core.Lists;
using KvDb.Core.State;

namespace KvDb.Tests.Lists;

public sealed class ListExecutorTests : IDisposable
{
    private readonly InMemoryKeyValueStore store = new();
    private readonly CommandExecutor executor;
    private long index;

    public ListExecutorTests() => executor = new CommandExecutor(store);

    public void Dispose() => store.Dispose();

    private static byte[] Nonce(long n)
    {
        var bytes = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(8), n);
        return bytes;
    }

    private CommandResult Run(KvCommand command, long proposedAt = 1_000)
    {
        var results = new CommandResult[1];
        executor.Execute(++index, 1, proposedAt, [command], results);
        return results[0];
    }

    private AppendReply Append(string key, params (string Value, long? Nonce, long? Time)[] items)
    {
        var result = Run(new AppendCommand { Keyspace = "ks", Key = Encoding.UTF8.GetBytes(key), Items = [.. items.Select(i => new AppendItem { Value = Encoding.UTF8.GetBytes(i.Value), Nonce = i.Nonce is { } n ? Nonce(n) : null, TimestampMs = i.Time })] });
        result.Outcome.Should().Be(CommandOutcome.Applied);
        return AppendReply.Decode(result.Reply!);
    }

    private ListPage Page(string key, bool forward, int limit, ListSeek seek = ListSeek.Edge, long at = 0, long? nonce = null)
    {
        using var view = store.OpenView();
        return ListReader.Read(view, "ks", Encoding.UTF8.GetBytes(key), forward, limit, seek, at, nonce is { } n ? Nonce(n) : null);
    }

    [Fact]
    public void An_append_resent_with_its_idempotency_key_applies_once_and_answers_the_first_reply()
    {
        Run(new CreateKeyspaceCommand { Name = "ks" });
        AppendCommand Untimed(string value, string? key) => new() { Keyspace = "ks", Key = Encoding.UTF8.GetBytes("k"), Items = [new AppendItem { Value = Encoding.UTF8.GetBytes(value) }], IdempotencyKey = key };

        var first = Run(Untimed("a", "k1"), proposedAt: 1_000);
        var resent = Run(Untimed("a", "k1"), proposedAt: 2_000);
        resent.Replayed.Should().BeTrue("the second proposal of the same append is a retry");
        AppendReply.Decode(resent.Reply!).Should().BeEquivalentTo(AppendReply.Decode(first.Reply!));
        resent.Revision.Should().Be(first.Revision);
        Run(Untimed("other", "k1")).Outcome.Should().Be(CommandOutcome.IdempotencyKeyReused);
        Run(Untimed("a", null)).Outcome.Should().Be(CommandOutcome.Applied, "without a key, an append of an item without a nonce is a new item");

        Page("k", forward: true, 10).Items.Select(i => Encoding.UTF8.GetString(i.Value)).Should().Equal("a", "a");
    }

    [Fact]
    public void Appends_need_a_keyspace_and_replays_are_skipped_by_nonce()
    {
        Run(new AppendCommand { Keyspace = "ks", Key = [1], Items = [new AppendItem { Value = [] }] }).Outcome.Should().Be(CommandOutcome.NotFound);
        Run(new CreateKeyspaceCommand { Name = "ks" }).Outcome.Should().Be(CommandOutcome.Applied);
        Run(new CreateKeyspaceCommand { Name = "ks" }).Outcome.Should().Be(CommandOutcome.Conflict);

        Append("k", ("a", 1, 100), ("b", 2, 200)).Should().BeEquivalentTo(new { FirstOffset = 0, LastOffset = 1, Appended = 2, Skipped = 0 });
        Append("k", ("b", 2, 200), ("c", 3, 300)).Should().BeEquivalentTo(new { FirstOffset = 2, LastOffset = 2, Appended = 1, Skipped = 1 }, "the producer replayed item 2 after a failure");
        Append("k", ("x", 1, 400)).Should().BeEquivalentTo(new { FirstOffset = -1, LastOffset = -1, Appended = 0, Skipped = 1 });

        Page("k", forward: true, 10).Items.Select(i => Encoding.UTF8.GetString(i.Value)).Should().Equal("a", "b", "c");
        using var view = store.OpenView();
        ListReader.Keyspace(view, "ks").Should().Be(new KeyspaceInfo(1_000, 1, 3, 3));
        ListReader.Meta(view, "ks", Encoding.UTF8.GetBytes("k"))!.Value.Should().Match<ListMeta>(m => m.NextOffset == 3 && m.LastTimestampMs == 300 && m.FirstTimestampMs == 100);
    }

    [Fact]
    public void A_timestamp_below_the_lists_last_refuses_the_whole_append_and_default_timestamps_never_go_back()
    {
        Run(new CreateKeyspaceCommand { Name = "ks" });
        Append("t", ("a", null, 5_000));
        Run(new AppendCommand { Keyspace = "ks", Key = Encoding.UTF8.GetBytes("t"), Items = [new AppendItem { Value = [1] }, new AppendItem { Value = [2], TimestampMs = 4_999 }] })
            .Outcome.Should().Be(CommandOutcome.PreconditionFailed);
        Page("t", true, 10).Items.Should().ContainSingle("nothing of the refused append was written");

        // The entry was proposed at 1,000 ms, before the list's last item: time still does not go back.
        Append("t", ("b", null, null)).FirstOffset.Should().Be(1);
        Page("t", true, 10).Items.Select(i => i.TimestampMs).Should().Equal(5_000, 5_000);
    }

    [Fact]
    public void A_replay_with_its_original_timestamps_is_skipped_and_only_appended_items_are_checked_for_time()
    {
        Run(new CreateKeyspaceCommand { Name = "ks" });
        Append("r", ("v1", 1, 1_700_000_001_000), ("v2", 2, 1_700_000_002_000));
        Append("r", ("v1", 1, 1_700_000_001_000), ("v2", 2, 1_700_000_002_000)).Should().BeEquivalentTo(new { FirstOffset = -1, LastOffset = -1, Appended = 0, Skipped = 2 }, "a producer replayed after a lost acknowledgement");
        Append("r", ("v2", 2, 1_700_000_002_000), ("v3", 3, 1_700_000_003_000)).Should().BeEquivalentTo(new { FirstOffset = 2, LastOffset = 2, Appended = 1, Skipped = 1 });
        Run(new AppendCommand { Keyspace = "ks", Key = Encoding.UTF8.GetBytes("r"), Items = [new AppendItem { Value = [1], Nonce = Nonce(3), TimestampMs = 1 }, new AppendItem { Value = [2], Nonce = Nonce(4), TimestampMs = 1_700_000_002_500 }] })
            .Outcome.Should().Be(CommandOutcome.PreconditionFailed, "item 4 would be appended with a time before the list's last");

        Page("r", true, 10).Items.Select(i => i.TimestampMs).Should().Equal(1_700_000_001_000, 1_700_000_002_000, 1_700_000_003_000);
    }

    [Fact]
    public void Pages_go_both_ways_and_seek_by_offset_timestamp_and_nonce()
    {
        Run(new CreateKeyspaceCommand { Name = "ks" });
        for (var i = 0; i < 10; i++)
            Append("s", ($"v{i}", 10 + (i * 10), 1_000 + (i * 100)));

        var first = Page("s", forward: true, 4);
        first.Items.Select(i => i.Offset).Should().Equal(0, 1, 2, 3);
        first.Next.Should().Be(4);
        Page("s", true, 4, ListSeek.Offset, 8).Should().Match<ListPage>(p => p.Items.Count == 2 && p.Next == null);
        Page("s", false, 3).Items.Select(i => i.Offset).Should().Equal(9, 8, 7);
        Page("s", false, 3, ListSeek.Offset, 1).Should().Match<ListPage>(p => p.Items.Count == 2 && p.Next == null);

        Page("s", true, 2, ListSeek.Timestamp, 1_450).Items.Select(i => i.Offset).Should().Equal(5, 6);
        Page("s", false, 2, ListSeek.Timestamp, 1_450).Items.Select(i => i.Offset).Should().Equal(4, 3);
        Page("s", true, 1, ListSeek.Nonce, nonce: 70).Items.Single().Offset.Should().Be(6);
        Page("s", true, 1, ListSeek.Nonce, nonce: 71).Items.Single().Offset.Should().Be(7);
        Page("s", false, 1, ListSeek.Nonce, nonce: 71).Items.Single().Offset.Should().Be(6);
        Page("s", true, 5, ListSeek.Timestamp, 99_999).Items.Should().BeEmpty();
        Page("missing", true, 5).Should().Match<ListPage>(p => p.Items.Count == 0 && p.Next == null && p.Meta == null);
    }

    [Fact]
    public void Deleting_a_keyspace_removes_its_lists()
    {
        Run(new CreateKeyspaceCommand { Name = "ks" });
        Append("d", ("a", 1, 1));
        Run(new DeleteKeyspaceCommand { Name = "ks" }).Outcome.Should().Be(CommandOutcome.Applied);
        Page("d", true, 10).Meta.Should().BeNull();
        Run(new CreateKeyspaceCommand { Name = "ks" });
        Append("d", ("b", 1, 1)).FirstOffset.Should().Be(0, "a new keyspace starts its lists afresh");
    }
}
