// The bench's client half of S2's s2s protocol against the server's half (KvDb.Node's S2sFrames
// and S2Protobuf): what the bench encodes the server decodes as meant, and what the server
// sends the bench decodes, frame boundaries, heartbeats and terminal frames included.
using System.IO.Pipelines;
using System.Text;
using KvDb.Bench;
using KvDb.Core.Lists;
using KvDb.Core.Streams;
using KvDb.Node.Streams;

namespace KvDb.Tests.Bench;

public sealed class S2sCodecTests
{
    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    // The server's reader over the given request body.
    private static async Task<List<S2sFrame>> ServerReadsAsync(byte[] body)
    {
        var reader = PipeReader.Create(new MemoryStream(body));
        var frames = new List<S2sFrame>();
        while (true)
        {
            var (frame, error) = await S2sFrames.ReadAsync(reader, CancellationToken.None);
            error.Should().BeNull();
            if (frame is null)
                return frames;
            frames.Add(frame);
        }
    }

    [Fact]
    public async Task An_append_input_the_bench_frames_is_what_the_server_reads()
    {
        var body = new byte[1500];
        Random.Shared.NextBytes(body);
        S2AppendRecord[] records =
        [
            new(body),
            new(Utf8("stamped"), Timestamp: 1_700_000_000_123),
            new(ReadOnlyMemory<byte>.Empty, Timestamp: 0, Headers: [new(Utf8("k"), Utf8("v")), new(Utf8("empty"), [])]),
            new(Utf8("token-2"), Headers: [new([], Utf8("fence"))]),
        ];
        var first = S2sCodec.AppendInputFrame(records, matchSeqNum: 300, fencingToken: "token-1");
        var second = S2sCodec.AppendInputFrame([new S2AppendRecord(Utf8("x"))]);

        var frames = await ServerReadsAsync([.. first, .. second]);

        frames.Should().HaveCount(2);
        frames[0].Flags.Should().Be(0);
        var (append, error) = S2Protobuf.ReadAppend(frames[0].Payload);
        error.Should().BeNull();
        append!.MatchSeqNum.Should().Be(300);
        append.FencingToken.Should().Be("token-1");
        append.Records.Should().HaveCount(4);
        append.Records[0].Body.Should().Equal(body);
        append.Records[0].Timestamp.Should().BeNull();
        append.Records[0].Headers.Should().BeEmpty();
        append.Records[1].Timestamp.Should().Be(1_700_000_000_123);
        append.Records[1].Body.Should().Equal(Utf8("stamped"));
        append.Records[2].Timestamp.Should().Be(0, "a timestamp of 0 that was given is still sent");
        append.Records[2].Body.Should().BeEmpty();
        append.Records[2].Headers.Select(h => (Encoding.UTF8.GetString(h.Name), Encoding.UTF8.GetString(h.Value)))
            .Should().Equal(("k", "v"), ("empty", ""));
        append.Records[3].Headers.Should().ContainSingle().Which.Name.Should().BeEmpty("a command record's header has an empty name");

        var (plain, _) = S2Protobuf.ReadAppend(frames[1].Payload);
        plain!.MatchSeqNum.Should().BeNull();
        plain.FencingToken.Should().BeNull();
        plain.Records.Should().ContainSingle().Which.Body.Should().Equal(Utf8("x"));
    }

    [Fact]
    public async Task Acks_the_server_frames_are_read_back_in_order_even_a_byte_at_a_time()
    {
        var frames = new[]
        {
            S2sFrames.Regular(S2Protobuf.WriteAck(0, 0, 16, 1_700_000_000_001, 16, 1_700_000_000_001)),
            S2sFrames.Regular(S2Protobuf.WriteAck(16, 1_700_000_000_002, 32, 1_700_000_000_003, 40, 1_700_000_000_009)),
        };
        var reader = new S2sFrameReader(new TrickleStream(frames.SelectMany(f => f).ToArray()));

        (await reader.ReadAsync(CancellationToken.None)).Should().BeTrue();
        reader.IsTerminal.Should().BeFalse();
        S2sCodec.ReadAck(reader.Payload).Should().Be(new S2Ack(new(0, 0), new(16, 1_700_000_000_001), new(16, 1_700_000_000_001)));
        (await reader.ReadAsync(CancellationToken.None)).Should().BeTrue();
        S2sCodec.ReadAck(reader.Payload).Should().Be(new S2Ack(new(16, 1_700_000_000_002), new(32, 1_700_000_000_003), new(40, 1_700_000_000_009)));
        (await reader.ReadAsync(CancellationToken.None)).Should().BeFalse("the body ended between frames");
    }

    [Fact]
    public async Task A_read_batch_the_server_frames_gives_each_record_its_place_body_headers_and_metered_size()
    {
        var headers = RecordHeaders.Encode([(Utf8("name"), Utf8("value")), (Utf8("n2"), Array.Empty<byte>())]);
        var big = new byte[1024];
        Random.Shared.NextBytes(big);
        var items = new List<ListItem>
        {
            new(0, null, 0, []),
            new(1, null, 1_700_000_000_500, Utf8("hello"), headers),
        };
        for (var i = 2; i < 1000; i++)
            items.Add(new ListItem(i, null, 1_700_000_000_600, big));
        var batch = S2sFrames.Regular(S2Protobuf.WriteBatch(items, (1000, 1_700_000_000_600)));
        batch.Length.Should().BeGreaterThan(64 << 10, "the frame is larger than the reader's first buffer");
        var heartbeat = S2sFrames.Regular(S2Protobuf.WriteBatch([], (0, 0)));
        var untailed = S2sFrames.Regular(S2Protobuf.WriteBatch([items[1]], null));
        var reader = new S2sFrameReader(new MemoryStream([.. batch, .. heartbeat, .. untailed]));

        (await reader.ReadAsync(CancellationToken.None)).Should().BeTrue();
        var seen = Decode(reader.Payload, out var tail);
        seen.Should().HaveCount(1000);
        seen[0].Should().Be((0L, 0L, 0, 8L, ""));
        seen[1].Should().Be((1L, 1_700_000_000_500, 2, RecordHeaders.MeteredSize(headers, 5), "hello"));
        seen[999].Should().Be((999L, 1_700_000_000_600, 0, 8L + 1024, Convert.ToHexString(big)));
        tail.Should().Be(new S2Position(1000, 1_700_000_000_600));

        (await reader.ReadAsync(CancellationToken.None)).Should().BeTrue();
        Decode(reader.Payload, out tail).Should().BeEmpty();
        tail.Should().Be(new S2Position(0, 0), "a heartbeat carries the tail even when it is all zeros");

        (await reader.ReadAsync(CancellationToken.None)).Should().BeTrue();
        Decode(reader.Payload, out tail).Should().ContainSingle();
        tail.Should().BeNull("a batch caught up from storage carries no tail");
    }

    [Fact]
    public async Task A_terminal_frame_gives_the_status_and_S2s_error()
    {
        var terminal = S2sFrames.TerminalOf(S2Error.SeqNumMismatch(42));
        var reader = new S2sFrameReader(new MemoryStream(terminal));

        (await reader.ReadAsync(CancellationToken.None)).Should().BeTrue();
        reader.IsTerminal.Should().BeTrue();
        var (status, error) = S2sCodec.ReadTerminal(reader.Payload);
        status.Should().Be(412);
        error.Should().Contain("\"seq_num_mismatch\":42");
    }

    [Fact]
    public async Task A_body_that_ends_inside_a_frame_or_a_malformed_message_is_an_error()
    {
        var frame = S2sFrames.Regular(S2Protobuf.WriteAck(1, 2, 3, 4, 5, 6));
        var cut = new S2sFrameReader(new MemoryStream(frame[..^1]));
        await FluentActions.Awaiting(() => cut.ReadAsync(CancellationToken.None).AsTask()).Should().ThrowAsync<InvalidDataException>();

        var compressed = (byte[])frame.Clone();
        compressed[3] = 0x20;
        var zstd = new S2sFrameReader(new MemoryStream(compressed));
        await FluentActions.Awaiting(() => zstd.ReadAsync(CancellationToken.None).AsTask()).Should().ThrowAsync<InvalidDataException>();

        FluentActions.Invoking(() => S2sCodec.ReadAck([0x0A, 0x05, 0x08])).Should().Throw<InvalidDataException>("the position's length runs past the end");
        FluentActions.Invoking(() => Decode([0x0A, 0x02, 0x08], out _)).Should().Throw<InvalidDataException>();
    }

    private static List<(long Seq, long Ts, int Headers, long Metered, string Body)> Decode(ReadOnlySpan<byte> payload, out S2Position? tail)
    {
        var seen = new List<(long, long, int, long, string)>();
        var reader = new S2ReadBatchReader(payload);
        while (reader.TryNext(out var record))
        {
            var body = record.Body.Length == 1024 ? Convert.ToHexString(record.Body) : Encoding.UTF8.GetString(record.Body);
            seen.Add((record.SeqNum, record.Timestamp, record.HeaderCount, record.MeteredSize, body));
        }

        tail = reader.Tail;
        return seen;
    }

    // A body that arrives one byte per read, as a slow network may deliver it.
    private sealed class TrickleStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
    }
}
