// The in-memory tail of the history and the per-watch queue the hub fills: what they cover,
// what they forget, and how a watcher that cannot keep up is let go without a gap.
using System.Text;
using KvDb.Core.Watch;
using KvDb.Node.Watch;

namespace KvDb.Tests.Watch;

public sealed class RecentChangesTests
{
    private static ChangeRecord Record(params string[] keys)
        => new() { ProposedAtUnixMs = 1, Events = [.. keys.Select(k => new ChangeEvent { Key = Encoding.UTF8.GetBytes(k), Value = [1] })] };

    private static List<long> Read(RecentChanges recent, long after, long upTo = long.MaxValue)
    {
        var into = new List<(long Revision, ChangeRecord Record)>();
        recent.TryRead(after, upTo, into, out _).Should().BeTrue();
        return into.Select(r => r.Revision).ToList();
    }

    [Fact]
    public void Covers_every_revision_added_since_it_started_and_nothing_before()
    {
        var recent = new RecentChanges(appliedIndex: 10, compactedRevision: 0);
        recent.Add(11, Record("a"), 0);
        recent.Add(12, null, 0);
        recent.Add(13, Record("b"), 0);

        recent.Through.Should().Be(13);
        Read(recent, 10).Should().Equal(11, 13);
        Read(recent, 11).Should().Equal(13);
        Read(recent, 10, upTo: 12).Should().Equal(11);
        recent.TryRead(9, long.MaxValue, [], out _).Should().BeFalse("revision 10 was applied before the tail started");
    }

    [Fact]
    public void Forgets_the_oldest_past_its_capacity_and_everything_compacted()
    {
        var recent = new RecentChanges(0, 0);
        for (var revision = 1; revision <= RecentChanges.MaxRecords + 5; revision++)
            recent.Add(revision, Record("k"), 0);

        recent.Count.Should().Be(RecentChanges.MaxRecords);
        recent.From.Should().Be(6);
        recent.TryRead(4, long.MaxValue, [], out _).Should().BeFalse();
        Read(recent, 5).Should().HaveCount(RecentChanges.MaxRecords);

        recent.Add(RecentChanges.MaxRecords + 6, null, compactedRevision: 100);
        recent.From.Should().Be(101);
        recent.Compacted.Should().Be(100);
        Read(recent, 100).First().Should().Be(101);
    }

    [Fact]
    public void Holds_about_its_byte_limit_of_values_and_forgets_the_oldest_beyond_it()
    {
        var recent = new RecentChanges(0, 0, maxBytes: 64 << 10);
        var value = new byte[1024];
        for (var revision = 1; revision <= 200; revision++)
            recent.Add(revision, new ChangeRecord { ProposedAtUnixMs = 1, Events = [new ChangeEvent { Key = Encoding.UTF8.GetBytes("k"), Value = value }] }, 0);

        recent.Count.Should().BeInRange(50, 64, "64 KiB holds at most 64 values of 1 KiB, and the limit is on keys and values, not records");
        recent.Through.Should().Be(200);
        recent.From.Should().Be(200 - recent.Count + 1, "what is forgotten is the oldest, and nothing in between");
        recent.TryRead(recent.From - 2, long.MaxValue, [], out _).Should().BeFalse("a watcher behind the tail reads the store's history instead");
        Read(recent, recent.From - 1).Should().HaveCount(recent.Count);
    }

    [Fact]
    public void A_reset_covers_nothing_before_the_installed_index()
    {
        var recent = new RecentChanges(0, 0);
        recent.Add(1, Record("a"), 0);
        recent.Reset(50, 20);
        recent.Through.Should().Be(50);
        recent.TryRead(1, long.MaxValue, [], out _).Should().BeFalse();
        Read(recent, 50).Should().BeEmpty();
        recent.Add(50, Record("old"), 0);
        Read(recent, 50).Should().BeEmpty("an entry at or below Through is not added twice");
    }

    [Fact]
    public async Task A_watcher_queues_only_matching_changes_of_whole_revisions_after_its_start()
    {
        var watcher = new Watcher(new KeyFilter(Encoding.UTF8.GetBytes("p/"), Encoding.UTF8.GetBytes("p0"), SingleKey: false));
        watcher.Attach(5);
        watcher.Offer(5, Record("p/a")).Should().BeTrue();
        watcher.Offer(6, Record("p/a", "q", "p/b")).Should().BeTrue();
        watcher.Offer(7, Record("q")).Should().BeTrue();

        var queued = new List<(long Revision, ChangeEvent Change)>();
        watcher.Drain(queued);
        queued.Select(q => (q.Revision, Encoding.UTF8.GetString(q.Change.Key))).Should().Equal((6, "p/a"), (6, "p/b"));
        (await watcher.WaitAsync(TimeSpan.Zero, CancellationToken.None)).Should().BeTrue("a queued change wakes the stream");
    }

    [Fact]
    public void A_watcher_whose_queue_is_full_is_dropped_at_the_last_whole_revision()
    {
        var watcher = new Watcher(new KeyFilter(Encoding.UTF8.GetBytes("k"), null, SingleKey: true));
        watcher.Attach(0);
        for (var revision = 1; revision <= Watcher.MaxQueued; revision++)
            watcher.Offer(revision, Record("k")).Should().BeTrue();
        watcher.Offer(Watcher.MaxQueued + 1, Record("k")).Should().BeFalse();

        watcher.Dropped.Should().BeTrue();
        watcher.ResumeAfter.Should().Be(Watcher.MaxQueued);
        var queued = new List<(long Revision, ChangeEvent Change)>();
        watcher.Drain(queued);
        queued.Should().HaveCount(Watcher.MaxQueued);
        queued[^1].Revision.Should().Be(Watcher.MaxQueued, "the stream writes what was queued, then catches up after it");
    }

    [Fact]
    public void A_watcher_takes_one_revision_of_any_size_but_not_a_second_past_its_byte_bound()
    {
        var big = new ChangeRecord { ProposedAtUnixMs = 1, Events = [new ChangeEvent { Key = [1], Value = new byte[Watcher.MaxQueuedBytes] }] };
        var watcher = new Watcher(new KeyFilter([1], null, SingleKey: true));
        watcher.Attach(0);
        watcher.Offer(1, big).Should().BeTrue("an empty queue takes any revision, so a watch always moves on");
        watcher.Offer(2, big).Should().BeFalse();
        watcher.ResumeAfter.Should().Be(1);
    }
}
