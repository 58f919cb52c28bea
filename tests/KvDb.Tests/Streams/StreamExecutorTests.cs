// S2 streams as every member applies them: sequence numbers assigned to whole batches,
// conditions checked before anything is written, timestamps by mode (capped, never back),
// fence and trim records, streams created on append, and the keyspace's counters.
using System.Buffers.Binary;
using System.Text;
using KvDb.Core.Commands;
using KvDb.Core.Lists;
using KvDb.Core.State;
using KvDb.Core.Streams;

namespace KvDb.Tests.Streams;

public sealed class StreamExecutorTests : IDisposable
{
    private readonly InMemoryKeyValueStore store = new();
    private readonly CommandExecutor executor;
    private long index;

    public StreamExecutorTests() => executor = new CommandExecutor(store);

    public void Dispose() => store.Dispose();

    private CommandResult Run(KvCommand command, long proposedAt = 10_000)
    {
        var results = new CommandResult[1];
        executor.Execute(++index, 1, proposedAt, [command], results);
        return results[0];
    }

    private static StreamRecordInput Record(string body, long? timestamp = null, string? command = null)
        => new() { Body = Encoding.UTF8.GetBytes(body), TimestampMs = timestamp, Headers = command is null ? null : RecordHeaders.Encode([([], Encoding.UTF8.GetBytes(command))]) };

    private static StreamRecordInput Trim(long below)
    {
        var body = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(body, below);
        return new StreamRecordInput { Body = body, Headers = RecordHeaders.Encode([([], "trim"u8.ToArray())]) };
    }

    private StreamAppendReply Append(string stream, StreamRecordInput[] records, long? match = null, string? token = null, long proposedAt = 10_000)
        => StreamAppendReply.Decode(Run(new StreamAppendCommand { Basin = "basin-one", Stream = stream, Records = records, MatchSeqNum = match, FencingToken = token }, proposedAt).Reply!);

    private IReadOnlyList<ListItem> Items(string stream)
    {
        using var view = store.OpenView();
        return ListReader.Read(view, "basin-one", Encoding.UTF8.GetBytes(stream), forward: true, 100, ListSeek.Edge).Items;
    }

    private void CreateBasin(BasinConfig? config = null)
        => Run(new PutBasinCommand { Name = "basin-one", Config = config ?? BasinConfig.Default }).Outcome.Should().Be(CommandOutcome.Applied);

    [Fact]
    public void A_batch_gets_contiguous_sequence_numbers_and_conditions_refuse_without_writing()
    {
        CreateBasin();
        Append("s", [Record("a")]).Status.Should().Be(StreamAppendStatus.StreamNotFound, "the basin does not create streams on append");
        Run(new PutStreamCommand { Basin = "basin-one", Stream = "s", Config = StreamConfig.Default }).Outcome.Should().Be(CommandOutcome.Applied);

        Append("s", [Record("a"), Record("b")], match: 0).Should().BeEquivalentTo(new { Status = StreamAppendStatus.Appended, StartSeqNum = 0, EndSeqNum = 2, TailSeqNum = 2 });
        Append("s", [Record("c")], match: 0).Should().BeEquivalentTo(new { Status = StreamAppendStatus.SeqNumMismatch, TailSeqNum = 2 });
        Append("s", [Record("owner", command: "fence")]).Status.Should().Be(StreamAppendStatus.Appended);
        Append("s", [Record("d")], token: "intruder").Should().BeEquivalentTo(new { Status = StreamAppendStatus.FencingTokenMismatch, FencingToken = "owner" });
        Append("s", [Record("d")], match: 2, token: "owner").Should().BeEquivalentTo(new { Status = StreamAppendStatus.SeqNumMismatch, TailSeqNum = 3 }, "the fence record took sequence number 2");
        Append("s", [Record("d")], match: 3, token: "owner").Status.Should().Be(StreamAppendStatus.Appended);

        Items("s").Select(i => Encoding.UTF8.GetString(i.Value)).Should().Equal("a", "b", "owner", "d");
    }

    [Fact]
    public void Timestamps_are_capped_at_the_entry_time_and_never_go_back()
    {
        CreateBasin(new BasinConfig { CreateStreamOnAppend = true });
        Append("t", [Record("future", 99_999), Record("past", 5), Record("none")], proposedAt: 10_000);
        Items("t").Select(i => i.TimestampMs).Should().Equal(10_000, 10_000, 10_000);
        Append("t", [Record("old", 1)], proposedAt: 20_000).StartTimestamp.Should().Be(10_000, "a timestamp below the stream's last is raised to it");

        Run(new PutStreamCommand { Basin = "basin-one", Stream = "u", Config = new StreamConfig { Uncapped = true } });
        Append("u", [Record("future", 99_999)], proposedAt: 10_000).StartTimestamp.Should().Be(99_999);
        Run(new PutStreamCommand { Basin = "basin-one", Stream = "a", Config = new StreamConfig { TimestampingMode = TimestampingModes.Arrival } });
        Append("a", [Record("given", 3)], proposedAt: 10_000).StartTimestamp.Should().Be(10_000);
        Run(new PutStreamCommand { Basin = "basin-one", Stream = "r", Config = new StreamConfig { TimestampingMode = TimestampingModes.ClientRequire } });
        Append("r", [Record("x", 1), Record("y")]).Status.Should().Be(StreamAppendStatus.TimestampRequired);
        Items("r").Should().BeEmpty();
    }

    [Fact]
    public void Trim_deletes_below_its_point_capped_at_itself_and_never_moves_back()
    {
        CreateBasin(new BasinConfig { CreateStreamOnAppend = true });
        Append("s", [Record("0"), Record("1"), Record("2"), Record("3")]);
        Append("s", [Trim(2)]).StartSeqNum.Should().Be(4);
        Items("s").Select(i => i.Offset).Should().Equal(2, 3, 4);
        Append("s", [Trim(1)]);
        Items("s").Select(i => i.Offset).Should().Equal(new long[] { 2, 3, 4, 5 }, "a trim never moves the start back");
        Append("s", [Trim(1_000)]);
        Items("s").Should().BeEmpty("a trim past itself is capped at its own sequence number + 1");
        Append("s", [Record("7")]).StartSeqNum.Should().Be(7, "sequence numbers go on after a trim");

        using var view = store.OpenView();
        ListReader.Keyspace(view, "basin-one")!.Value.Items.Should().Be(1);
    }

    private long RetentionTrim(string stream, long trimTo)
    {
        var result = Run(new StreamRetentionTrimCommand { Basin = "basin-one", Stream = stream, TrimTo = trimTo });
        result.Outcome.Should().Be(CommandOutcome.Applied);
        return BinaryPrimitives.ReadInt64LittleEndian(result.Reply);
    }

    [Fact]
    public void A_retention_trim_applies_the_leaders_point_capped_at_the_tail_and_never_moves_back()
    {
        CreateBasin(new BasinConfig { CreateStreamOnAppend = true });
        Append("s", [Record("0"), Record("1"), Record("2"), Record("3")]);
        RetentionTrim("s", 2).Should().Be(2);
        Items("s").Select(i => i.Offset).Should().Equal(2, 3);
        RetentionTrim("s", 2).Should().Be(0, "applying the same trim again changes nothing");
        RetentionTrim("s", 1).Should().Be(0, "a trim never moves the start back");
        Items("s").Select(i => i.Offset).Should().Equal(2, 3);
        RetentionTrim("s", 1_000).Should().Be(2, "a point past the tail is capped at it");
        Items("s").Should().BeEmpty();
        Append("s", [Record("4")]).StartSeqNum.Should().Be(4, "sequence numbers go on after a retention trim");
        using (var view = store.OpenView())
            ListReader.Keyspace(view, "basin-one")!.Value.Items.Should().Be(1);
        Run(new StreamRetentionTrimCommand { Basin = "basin-one", Stream = "missing", TrimTo = 1 }).Outcome.Should().Be(CommandOutcome.NotFound);
    }

    [Fact]
    public void An_empty_stream_is_deleted_only_if_still_empty_at_the_leaders_tail_and_idle_long_enough()
    {
        CreateBasin();
        Run(new PutStreamCommand { Basin = "basin-one", Stream = "e", Config = new StreamConfig { DeleteOnEmptyMinAgeSecs = 5 } }, proposedAt: 10_000);
        Run(new PutStreamCommand { Basin = "basin-one", Stream = "keep", Config = StreamConfig.Default }, proposedAt: 10_000);
        Append("e", [Record("a"), Record("b")], proposedAt: 10_000);
        RetentionTrim("e", 2);
        var delete = new DeleteEmptyStreamCommand { Basin = "basin-one", Stream = "e", Tail = 2 };

        Run(delete, proposedAt: 12_000).Outcome.Should().Be(CommandOutcome.PreconditionFailed, "its last record is 2 s old, under the 5 s minimum age");
        Append("e", [Record("raced")], proposedAt: 16_000).StartSeqNum.Should().Be(2);
        Run(delete, proposedAt: 16_000).Outcome.Should().Be(CommandOutcome.PreconditionFailed, "an append landed between the leader's look and the entry");
        Items("e").Select(i => Encoding.UTF8.GetString(i.Value)).Should().Equal("raced");
        Run(delete, proposedAt: 40_000).Outcome.Should().Be(CommandOutcome.PreconditionFailed, "the tail moved on");
        Run(new DeleteEmptyStreamCommand { Basin = "basin-one", Stream = "e", Tail = 3 }, proposedAt: 40_000).Outcome.Should().Be(CommandOutcome.PreconditionFailed, "it is not empty");

        RetentionTrim("e", 3);
        Run(new DeleteEmptyStreamCommand { Basin = "basin-one", Stream = "e", Tail = 3 }, proposedAt: 40_000).Outcome.Should().Be(CommandOutcome.Applied);
        using (var view = store.OpenView())
        {
            StreamStore.Stream(view, "basin-one", "e").Should().BeNull();
            ListReader.Keyspace(view, "basin-one")!.Value.Keys.Should().Be(1, "only the other stream is left");
        }

        Run(new DeleteEmptyStreamCommand { Basin = "basin-one", Stream = "e", Tail = 3 }, proposedAt: 50_000).Outcome.Should().Be(CommandOutcome.NotFound);
        Run(new DeleteEmptyStreamCommand { Basin = "basin-one", Stream = "keep", Tail = 0 }, proposedAt: 10_000_000).Outcome.Should().Be(CommandOutcome.PreconditionFailed, "delete_on_empty is off for it");
    }

    [Fact]
    public void Creating_twice_is_a_conflict_unless_the_same_request_token_and_configuration()
    {
        Run(new PutBasinCommand { Name = "basin-one", Config = BasinConfig.Default, RequestToken = "t1" }).Reply.Should().Equal((byte)Provision.Created);
        Run(new PutBasinCommand { Name = "basin-one", Config = BasinConfig.Default, RequestToken = "t1" }).Reply.Should().Equal((byte)Provision.Unchanged);
        Run(new PutBasinCommand { Name = "basin-one", Config = BasinConfig.Default, RequestToken = "t2" }).Outcome.Should().Be(CommandOutcome.Conflict);
        Run(new PutBasinCommand { Name = "basin-one", Config = new BasinConfig { CreateStreamOnRead = true }, RequestToken = "t1" }).Outcome.Should().Be(CommandOutcome.Conflict);
        Run(new PutBasinCommand { Name = "basin-one", Config = new BasinConfig { CreateStreamOnRead = true }, Replace = true }).Reply.Should().Equal((byte)Provision.Updated);

        Run(new PutStreamCommand { Basin = "basin-one", Stream = "s", Config = StreamConfig.Default, RequestToken = "x" }).Reply.Should().Equal((byte)Provision.Created);
        Run(new PutStreamCommand { Basin = "basin-one", Stream = "s", Config = StreamConfig.Default, RequestToken = "x" }).Reply.Should().Equal((byte)Provision.Unchanged);
        Run(new PutStreamCommand { Basin = "basin-one", Stream = "s", Config = StreamConfig.Default }).Outcome.Should().Be(CommandOutcome.Conflict);
        Run(new PutStreamCommand { Basin = "nobasin1", Stream = "s", Config = StreamConfig.Default }).Outcome.Should().Be(CommandOutcome.NotFound);
    }

    [Fact]
    public void Deleting_a_stream_or_basin_removes_its_records_and_counts()
    {
        CreateBasin(new BasinConfig { CreateStreamOnAppend = true });
        Append("s", [Record("a"), Record("b")]);
        Append("keep", [Record("c")]);
        Run(new DeleteStreamCommand { Basin = "basin-one", Stream = "s" }).Outcome.Should().Be(CommandOutcome.Applied);
        Items("s").Should().BeEmpty();
        using (var view = store.OpenView())
            ListReader.Keyspace(view, "basin-one")!.Value.Should().Match<KeyspaceInfo>(k => k.Keys == 1 && k.Items == 1);
        Run(new DeleteStreamCommand { Basin = "basin-one", Stream = "s" }).Outcome.Should().Be(CommandOutcome.NotFound);

        Run(new DeleteBasinCommand { Name = "basin-one" }).Outcome.Should().Be(CommandOutcome.Applied);
        using var after = store.OpenView();
        after.Scan().Should().BeEmpty("nothing of the basin is left");
    }

    [Fact]
    public void Records_keep_their_headers_and_lists_without_headers_read_as_before()
    {
        CreateBasin(new BasinConfig { CreateStreamOnAppend = true });
        var headers = RecordHeaders.Encode([("k"u8.ToArray(), "v"u8.ToArray()), ("k2"u8.ToArray(), [])]);
        Append("h", [new StreamRecordInput { Body = "b"u8.ToArray(), Headers = headers }]);
        var item = Items("h").Single();
        RecordHeaders.Decode(item.Headers).Select(h => (Encoding.UTF8.GetString(h.Name), Encoding.UTF8.GetString(h.Value))).Should().Equal(("k", "v"), ("k2", ""));
        RecordHeaders.MeteredSize(item.Headers, item.Value.Length).Should().Be(8 + (2 * 2) + 1 + 1 + 2 + 1);

        Run(new AppendCommand { Keyspace = "basin-one", Key = "plain"u8.ToArray(), Items = [new AppendItem { Value = "v"u8.ToArray(), Nonce = new byte[16] }] });
        Items("plain").Single().Should().Match<ListItem>(i => i.Headers == null && i.Nonce != null && i.Value.Length == 1);
    }
}
