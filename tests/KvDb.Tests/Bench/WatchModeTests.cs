// Watch mode's parts without a member: the key ranges, watch lines, the matching of receipts
// against acknowledged puts, the member's gauges, and the watch section of the report.
using System.Text.Json;
using HdrHistogram;
using KvDb.Bench;

namespace KvDb.Tests.Bench;

public sealed class WatchModeTests
{
    [Theory]
    [InlineData(10_000, 250)]
    [InlineData(10, 3)]
    [InlineData(7, 7)]
    [InlineData(1, 1)]
    [InlineData(1000, 999)]
    public void Every_key_is_in_exactly_one_range_and_ranges_are_contiguous(int keyCount, int rangeCount)
    {
        var ranges = new KeyRanges(new KeySpace(keyCount, 1), rangeCount, watchers: 0);
        ranges.First(0).Should().Be(0);
        ranges.First(rangeCount).Should().Be(keyCount);
        for (var r = 0; r < rangeCount; r++)
        {
            ranges.First(r + 1).Should().BeGreaterThan(ranges.First(r), "every range holds a key");
            for (var key = ranges.First(r); key < ranges.First(r + 1); key++)
                ranges.RangeOf(key).Should().Be(r);
        }
    }

    [Fact]
    public void A_range_watches_from_its_first_key_to_the_next_ranges_first_and_the_last_to_the_prefixs_end()
    {
        var keys = new KeySpace(10, 1);
        var ranges = new KeyRanges(keys, 3, watchers: 0);
        ranges.Query(0).Should().Be("start=bench-0&end=bench-3");
        ranges.Query(1).Should().Be("start=bench-3&end=bench-6");
        ranges.Query(2).Should().Be("start=bench-6&end=bench.");
        string.CompareOrdinal(keys.Key(9), KeyRanges.PrefixEnd).Should().BeNegative("the last key is inside the last range");
    }

    [Fact]
    public void Watchers_are_dealt_round_robin_over_the_ranges()
    {
        var ranges = new KeyRanges(new KeySpace(100, 1), 4, watchers: 10);
        Enumerable.Range(0, 10).Select(ranges.RangeOfWatcher).Should().Equal(0, 1, 2, 3, 0, 1, 2, 3, 0, 1);
        Enumerable.Range(0, 4).Select(ranges.WatchersOf).Should().Equal(3, 3, 2, 2);
    }

    [Fact]
    public void Key_names_parse_back_to_their_index_and_nothing_else_does()
    {
        var keys = new KeySpace(500, 1);
        for (var i = 0; i < keys.Count; i++)
        {
            keys.TryParseIndex(keys.KeyBytes(i), out var index).Should().BeTrue();
            index.Should().Be(i);
        }

        keys.TryParseIndex("bench-042"u8, out var parsed).Should().BeTrue();
        parsed.Should().Be(42);
        keys.TryParseIndex("bench-42"u8, out _).Should().BeFalse("another width is another run's key");
        keys.TryParseIndex("bench-500"u8, out _).Should().BeFalse("out of range");
        keys.TryParseIndex("bench-4x2"u8, out _).Should().BeFalse();
        keys.TryParseIndex("other-042"u8, out _).Should().BeFalse();
    }

    [Fact]
    public void Watch_lines_give_their_type_revision_and_bench_key()
    {
        var keys = new KeySpace(10_000, 1);
        WatchLine.Parse("""{"type":"put","key":"bench-0042","value":"abc","revision":42}"""u8, keys).Should().Be(new WatchLine(WatchLineType.Put, 42, 42));
        WatchLine.Parse("""{"revision":7,"value":{"Map":[]},"typed":true,"key":"bench-0001","type":"put"}"""u8, keys).Should().Be(new WatchLine(WatchLineType.Put, 7, 1));
        WatchLine.Parse("""{"type":"put","key":"user/1","valueBase64":"AAE=","revision":9}"""u8, keys).Should().Be(new WatchLine(WatchLineType.Put, 9, -1));
        WatchLine.Parse("""{"type":"progress","revision":50}"""u8, keys).Should().Be(new WatchLine(WatchLineType.Progress, 50, -1));
        WatchLine.Parse("""{"type":"delete","key":"bench-0003","revision":51}"""u8, keys).Type.Should().Be(WatchLineType.Other);
        WatchLine.Parse("""{"type":"compacted","compactRevision":12}"""u8, keys).Should().Be(new WatchLine(WatchLineType.Compacted, 12, -1));
        FluentActions.Invoking(() => WatchLine.Parse("not json"u8, keys)).Should().Throw<JsonException>();
    }

    [Fact]
    public void Deliveries_are_matched_by_revision_and_key_and_counted_once_per_watcher()
    {
        // 10 keys in 2 ranges (0-4, 5-9), 3 watchers: 0 and 2 watch range 0, 1 watches range 1.
        var ranges = new KeyRanges(new KeySpace(10, 1), 2, watchers: 3);
        var ms = System.Diagnostics.Stopwatch.Frequency / 1000;
        PutAck[] acks =
        [
            new(Revision: 5, Key: 1, AcknowledgedAt: 1000 * ms),
            new(Revision: 5, Key: 7, AcknowledgedAt: 1000 * ms), // one Raft entry, two puts
            new(Revision: 6, Key: 2, AcknowledgedAt: 2000 * ms),
        ];
        List<WatchReceipt>[] receipts =
        [
            [new(5, 1, 1002 * ms), new(6, 2, 2004 * ms), new(6, 2, 2005 * ms), new(3, 0, 10 * ms)],
            [new(5, 7, 999 * ms), new(6, 2, 2001 * ms)],
            [new(5, 1, 1003 * ms)],
        ];

        var d = DeliveryAccounting.Count(ranges, acks, receipts, 60_000_000);

        d.Expected.Should().Be(2 + 1 + 2, "keys 1 and 2 are watched twice, key 7 once");
        d.Delivered.Should().Be(4);
        d.Missing.Should().Be(1, "watcher 2 never got revision 6");
        d.Duplicates.Should().Be(1);
        d.OutOfRange.Should().Be(1, "watcher 1 does not watch key 2");
        d.BeforeAck.Should().Be(1);
        d.Latency.TotalCount.Should().Be(4);
        d.Latency.GetMaxValue().Should().BeInRange(3900, 4100, "4 ms is the slowest delivery");
        d.Latency.GetValueAtPercentile(0).Should().Be(0, "a delivery before the acknowledgement counts as 0");
    }

    [Fact]
    public void Member_gauges_come_from_the_prometheus_text()
    {
        const string text = """
            # HELP process_working_set_bytes Process working set
            # TYPE process_working_set_bytes gauge
            process_working_set_bytes 99328000
            process_private_memory_bytes 154279936
            dotnet_total_memory_bytes 4.447272E+06
            kvdb_member_id 1
            kvdb_watch_open 1000
            kvdb_watch_open_other 7
            """;
        MemberMetrics.Parse(text).Should().Be(new MemberSample(99_328_000, 4_447_272, 1000));
        MemberMetrics.Parse("process_working_set_bytes 5\nkvdb_member_id 1\n").OpenWatches.Should().Be(0, "kvdb publishes the gauge once a watch has opened");
        MemberMetrics.Parse("process_working_set_bytes 5\n").Should().Be(new MemberSample(5, null, null));
    }

    [Fact]
    public void The_report_has_a_watch_section_and_json_object_only_in_watch_mode()
    {
        var options = new BenchOptions { Endpoints = [new Uri("http://127.0.0.1:12380/")], Mix = OperationMix.Parse("put=100"), Watchers = 3 };
        var recorder = new LatencyRecorder(1, 60_000_000);
        recorder.Record(0, OperationKind.Put, RequestOutcome.Success, 1000, measured: true);
        var histogram = LatencyRecorder.NewHistogram(60_000_000);
        histogram.RecordValue(1500);
        histogram.RecordValue(2500);
        var watch = new WatchResult
        {
            Watchers = 3,
            Ranges = 2,
            Endpoint = options.WatchUri,
            OpenSeconds = 0.25,
            CatchUpSeconds = 1.5,
            FailedWatchers = 0,
            BehindWatchers = 0,
            PutsWithoutRevision = 0,
            Deliveries = new Deliveries(Expected: 2, Delivered: 2, Missing: 0, Duplicates: 0, BeforeAck: 1, OutOfRange: 0, Clamped: 0, histogram),
            Latency = LatencySummary.Of(histogram),
            Before = new MemberSample(100 << 20, 4 << 20, 0),
            After = new MemberSample(150 << 20, null, 3),
        };
        var result = BenchResult.From(options, recorder.Snapshot(), TimeSpan.FromSeconds(1), watch);

        var table = ResultPrinter.Table(result);
        table.Should().Contain("watch: 3 watchers over 2 key ranges on http://127.0.0.1:12380/");
        table.Should().Contain("100.0 MiB before the watches, 150.0 MiB after the run").And.Contain("open watches 0 → 3");

        using var json = JsonDocument.Parse(ResultPrinter.Json(result));
        var w = json.RootElement.GetProperty("watch");
        w.GetProperty("watchers").GetInt32().Should().Be(3);
        w.GetProperty("ranges").GetInt32().Should().Be(2);
        w.GetProperty("endpoint").GetString().Should().Be("http://127.0.0.1:12380/");
        w.GetProperty("firstFailure").ValueKind.Should().Be(JsonValueKind.Null);
        var deliveries = w.GetProperty("deliveries");
        foreach (var (name, value) in new[] { ("expected", 2), ("delivered", 2), ("missing", 0), ("duplicates", 0), ("beforeAck", 1), ("outOfRange", 0), ("clamped", 0) })
            deliveries.GetProperty(name).GetInt64().Should().Be(value, name);
        w.GetProperty("latencyMs").GetProperty("p99").GetDouble().Should().BeApproximately(2.5, 0.01);
        var member = w.GetProperty("member");
        member.GetProperty("workingSetBytesBefore").GetInt64().Should().Be(100 << 20);
        member.GetProperty("workingSetBytesAfter").GetInt64().Should().Be(150 << 20);
        member.GetProperty("managedHeapBytesAfter").ValueKind.Should().Be(JsonValueKind.Null);
        member.GetProperty("openWatchesAfter").GetInt64().Should().Be(3);

        var off = BenchResult.From(options, recorder.Snapshot(), TimeSpan.FromSeconds(1));
        ResultPrinter.Table(off).Should().NotContain("watch");
        using var offJson = JsonDocument.Parse(ResultPrinter.Json(off));
        offJson.RootElement.GetProperty("watch").ValueKind.Should().Be(JsonValueKind.Null);
    }
}
