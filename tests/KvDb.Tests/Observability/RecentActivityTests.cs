// RecentActivity: operations counted per 5-second interval, percentiles from the latency buckets,
// intervals the window has left reported empty (never with old figures), and which requests count.
using KvDb.Node.Observability;
using Microsoft.AspNetCore.Http;

namespace KvDb.Tests.Observability;

public sealed class RecentActivityTests
{
    private readonly ManualClock clock = new();

    [Fact]
    public void Counts_land_in_their_interval_with_percentiles_of_their_latencies()
    {
        var activity = new RecentActivity(clock);
        for (var i = 0; i < 99; i++)
            activity.Record(KvOperationKind.Read, TimeSpan.FromMilliseconds(1));
        activity.Record(KvOperationKind.Read, TimeSpan.FromMilliseconds(100));
        activity.Record(KvOperationKind.Write, TimeSpan.FromMilliseconds(8));
        activity.Record(KvOperationKind.None, TimeSpan.FromMilliseconds(8));

        var now = activity.Snapshot(TimeSpan.FromMinutes(1));
        now.Should().HaveCount(12);
        var last = now[^1];
        last.Reads.Should().Be(100);
        last.Writes.Should().Be(1);
        last.ReadP50!.Value.TotalMilliseconds.Should().BeApproximately(1, 0.2, "a bucket is about 19% wide");
        last.ReadP99!.Value.TotalMilliseconds.Should().BeApproximately(1, 0.2, "the 99th of 100 is still 1 ms");
        last.WriteP50!.Value.TotalMilliseconds.Should().BeApproximately(8, 1.6);
        now.Take(11).Should().OnlyContain(static i => i.Reads == 0 && i.Writes == 0 && i.ReadP50 == null && i.WriteP99 == null);

        activity.Record(KvOperationKind.Read, TimeSpan.FromMilliseconds(100));
        activity.Record(KvOperationKind.Read, TimeSpan.FromMilliseconds(100));
        activity.Snapshot(TimeSpan.FromSeconds(5))[^1].ReadP99!.Value.TotalMilliseconds.Should().BeApproximately(100, 20);
    }

    [Fact]
    public void An_interval_the_window_has_left_is_reported_empty_and_its_slot_is_reused_clean()
    {
        var activity = new RecentActivity(clock);
        activity.Record(KvOperationKind.Write, TimeSpan.FromMilliseconds(2));
        clock.Advance(TimeSpan.FromSeconds(5));
        activity.Record(KvOperationKind.Read, TimeSpan.FromMilliseconds(2));

        var both = activity.Snapshot(TimeSpan.FromSeconds(10));
        both.Select(static i => (i.Reads, i.Writes)).Should().Equal((0L, 1L), (1L, 0L));
        (both[1].Start - both[0].Start).Should().Be(RecentActivity.Interval);

        // A whole window later the same slots come round again: nothing of before shows.
        clock.Advance(RecentActivity.Window + RecentActivity.Interval);
        activity.Snapshot(RecentActivity.Window).Should().OnlyContain(static i => i.Reads == 0 && i.Writes == 0);
        activity.Record(KvOperationKind.Read, TimeSpan.FromMilliseconds(2));
        activity.Snapshot(TimeSpan.FromSeconds(5)).Single().Should().Match<ActivityInterval>(static i => i.Reads == 1 && i.Writes == 0);
    }

    [Fact]
    public void Latency_buckets_cover_25_microseconds_to_26_seconds_and_clamp_outside()
    {
        RecentActivity.BucketOf(TimeSpan.Zero).Should().Be(0);
        RecentActivity.BucketOf(TimeSpan.FromMinutes(5)).Should().Be(RecentActivity.Buckets - 1);
        for (var ms = 0.05; ms < 20_000; ms *= 1.7)
        {
            var middle = RecentActivity.Middle(RecentActivity.BucketOf(TimeSpan.FromMilliseconds(ms))).TotalMilliseconds;
            (middle / ms).Should().BeInRange(0.84, 1.19, $"{ms} ms is within a bucket's width of its middle");
        }
    }

    [Theory]
    [InlineData("/v1/kv/{**key}", "GET", "", KvOperationKind.Read)]
    [InlineData("/v1/kv/{**key}", "HEAD", "", KvOperationKind.Read)]
    [InlineData("/v1/kv/{**key}", "PUT", "", KvOperationKind.Write)]
    [InlineData("/v1/kv/{**key}", "DELETE", "", KvOperationKind.Write)]
    [InlineData("/v1/kv", "GET", "?prefix=a", KvOperationKind.Read)]
    [InlineData("/{**key}", "PUT", "", KvOperationKind.Write)]
    [InlineData("/v1/txn", "POST", "", KvOperationKind.Write)]
    [InlineData("/v1/lists/{keyspace}/{**key}", "POST", "", KvOperationKind.Write)]
    [InlineData("/v1/lists/{keyspace}/{**key}", "GET", "?after=3", KvOperationKind.Read)]
    [InlineData("/v1/lists/{keyspace}/{**key}", "GET", "?follow=true", KvOperationKind.None)]
    [InlineData("/v1/watch", "GET", "", KvOperationKind.None)]
    [InlineData("/v1/status", "GET", "", KvOperationKind.None)]
    [InlineData("/ui/{**path}", "GET", "", KvOperationKind.None)]
    [InlineData("unmatched", "GET", "", KvOperationKind.None)]
    public void Key_value_routes_count_as_reads_and_writes_and_nothing_else_counts(string route, string method, string query, KvOperationKind expected)
    {
        var context = new DefaultHttpContext();
        context.Request.QueryString = new QueryString(query.Length == 0 ? null : query);
        RecentActivity.Classify(route, method, context.Request).Should().Be(expected);
    }

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset now = new(2026, 12, 7, 10, 0, 2, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => now;

        public void Advance(TimeSpan by) => now += by;
    }
}
