// The change history as every member writes it: one record per entry that changed keys, the
// replaced values, nothing for writes that did not apply, and forgetting by window and floor.
using System.Globalization;
using System.Text;
using KvDb.Core.Commands;
using KvDb.Core.State;
using KvDb.Core.Watch;
using KvDb.Tests.State;

namespace KvDb.Tests.Watch;

public sealed class ChangeHistoryTests
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static PutCommand Put(string key, string value, Precondition? condition = null) => new() { Key = Bytes(key), Value = Bytes(value), Condition = condition };

    private static void Execute(CommandExecutor executor, long index, long proposedAt, params KvCommand[] commands)
        => executor.Execute(index, 1, proposedAt, commands, new CommandResult[commands.Length]);

    private static List<(long Revision, ChangeRecord Record)> History(IKeyValueStore store, long after = 0)
    {
        using var view = store.OpenView();
        return ChangeHistory.After(view, after).ToList();
    }

    [Fact]
    public void Each_entry_that_changes_keys_leaves_one_record_with_its_changes_in_order()
    {
        var store = new InMemoryKeyValueStore();
        var executor = new CommandExecutor(store);
        Execute(executor, 1, 1000, Put("a", "1"), Put("b", "1"));
        Execute(executor, 2, 2000, Put("a", "2"), new DeleteCommand { Key = Bytes("b") }, new DeleteCommand { Key = Bytes("missing") });
        Execute(executor, 3, 3000, Put("a", "3", new Precondition { Revision = 1 }));
        Execute(executor, 4, 4000, new DeleteCommand { Key = Bytes("missing") });

        var history = History(store);
        history.Select(h => h.Revision).Should().Equal(1, 2);
        history[0].Record.Events.Select(e => Encoding.UTF8.GetString(e.Key)).Should().Equal("a", "b");
        var second = history[1].Record.Events;
        second.Should().HaveCount(2, "a failed condition and a delete of a missing key change nothing");
        second[0].Deleted.Should().BeFalse();
        Encoding.UTF8.GetString(second[0].Previous!).Should().Be("1");
        second[0].PreviousRevision.Should().Be(1);
        second[1].Deleted.Should().BeTrue();
        Encoding.UTF8.GetString(second[1].Previous!).Should().Be("1");
        History(store, after: 1).Select(h => h.Revision).Should().Equal(2);
    }

    [Fact]
    public void Records_are_forgotten_only_past_both_the_window_and_the_floor()
    {
        var store = new InMemoryKeyValueStore();
        var executor = new CommandExecutor(store, TimeSpan.FromSeconds(10), historyFloor: 3);
        for (var i = 1; i <= 10; i++)
            Execute(executor, i, i * 1000, Put("k", i.ToString(CultureInfo.InvariantCulture)));

        using (var view = store.OpenView())
            ChangeHistory.CompactedRevision(view).Should().Be(0, "every record is inside the 10 s window");
        History(store).Should().HaveCount(10);

        // 60 s later: everything is past the window, but the newest 3 revisions stay.
        for (var i = 11; i <= 14; i++)
            Execute(executor, i, 60_000 + i, Put("k", i.ToString(CultureInfo.InvariantCulture)));

        var kept = History(store).Select(h => h.Revision).ToList();
        kept.Should().Contain([11, 12, 13, 14]);
        using var after = store.OpenView();
        var compacted = ChangeHistory.CompactedRevision(after);
        compacted.Should().BeGreaterThan(0);
        kept.Should().OnlyContain(r => r > compacted, "the history has no gap above the compacted revision");
        kept.Min().Should().Be(compacted + 1);
    }

    [Fact]
    public void Forgetting_scans_from_past_the_last_forgotten_record_not_over_its_tombstones()
    {
        // The shortest history: each entry forgets the one before. An on-disk store keeps the
        // deletions as tombstones until a compaction, so a scan from the start of the history
        // would step over all of them on every write.
        var store = new ScanRecordingStore();
        var executor = new CommandExecutor(store, TimeSpan.Zero, historyFloor: 1);
        for (var i = 1; i <= 20; i++)
            Execute(executor, i, i * 1000, Put("k", i.ToString(CultureInfo.InvariantCulture)));

        var historyScans = store.ScanStarts.Where(start => start is [StoreKeys.History, ..]).Select(start => ChangeHistory.RevisionOf(start)).ToList();
        History(store).Select(h => h.Revision).Should().Equal(19, 20);
        historyScans.Should().NotBeEmpty();
        historyScans[^1].Should().Be(18, "entry 19 forgot revision 17, so entry 20 looks for records to forget from 18 on");
    }
}
