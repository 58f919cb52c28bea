using System.Buffers;
using KvDb.Core.Commands;

namespace KvDb.Tests.Commands;

public sealed class LogEntryCodecTests
{
    [Fact]
    public void A_batch_round_trips_in_order_with_every_field()
    {
        KvCommand[] batch =
        [
            new PutCommand { Key = "a"u8.ToArray(), Value = [1, 2, 3] },
            new DeleteCommand { Key = "b"u8.ToArray() },
            new PutCommand { Key = [0xFF, 0x00], Value = [] },
            new SetMemberCommand { Id = 4, PeerUrl = "http://127.0.0.1:42379" },
            new RemoveMemberCommand { Id = 3 },
            new BootstrapMembersCommand { PeerUrls = ["http://a:1", "http://b:2"] },
        ];

        var (proposedAt, decoded) = LogEntryCodec.Decode(LogEntryCodec.Encode(batch, 1_700_000_000_123));

        proposedAt.Should().Be(1_700_000_000_123);

        decoded.Should().HaveCount(6);
        decoded[0].Should().BeOfType<PutCommand>().Which.Value.Should().Equal(1, 2, 3);
        ((PutCommand)decoded[0]).Key.Should().Equal("a"u8.ToArray());
        decoded[1].Should().BeOfType<DeleteCommand>().Which.Key.Should().Equal("b"u8.ToArray());
        decoded[2].Should().BeOfType<PutCommand>().Which.Key.Should().Equal(0xFF, 0x00);
        decoded[3].Should().BeOfType<SetMemberCommand>().Which.Should().BeEquivalentTo(new { Id = 4, PeerUrl = "http://127.0.0.1:42379" });
        decoded[4].Should().BeOfType<RemoveMemberCommand>().Which.Id.Should().Be(3);
        decoded[5].Should().BeOfType<BootstrapMembersCommand>().Which.PeerUrls.Should().Equal("http://a:1", "http://b:2");
    }

    [Fact]
    public void The_payload_starts_with_the_format_version()
    {
        var payload = LogEntryCodec.Encode([new DeleteCommand { Key = [1] }], 0);
        payload[0].Should().Be(LogEntryCodec.CurrentVersion);
    }

    [Fact]
    public void A_payload_split_across_segments_decodes()
    {
        var payload = LogEntryCodec.Encode([new PutCommand { Key = "key"u8.ToArray(), Value = new byte[300] }], 0);
        var first = new Segment(payload.AsMemory(0, 7));
        var last = first.Append(payload.AsMemory(7));
        var decoded = LogEntryCodec.Decode(new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length)).Commands;
        decoded.Should().ContainSingle().Which.Should().BeOfType<PutCommand>().Which.Value.Should().HaveCount(300);
    }

    [Fact]
    public void An_unknown_version_is_refused_loudly()
    {
        var payload = LogEntryCodec.Encode([new DeleteCommand { Key = [1] }], 0);
        payload[0] = 99;
        var act = () => LogEntryCodec.Decode(payload);
        act.Should().Throw<InvalidDataException>().WithMessage("*version 99*");
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 1 })]
    [InlineData(new byte[] { 1, 0, 0, 0, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x91, 0x92, 0x07 })]
    [InlineData(new byte[] { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xC1 })]
    [InlineData(new byte[] { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x91, 0xC0 })]
    [InlineData(new byte[] { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x91, 0x92, 0x00, 0x91, 0xC0 })]
    public void Malformed_payloads_are_InvalidDataException(byte[] payload)
    {
        var act = () => LogEntryCodec.Decode(payload);
        act.Should().Throw<InvalidDataException>();
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
