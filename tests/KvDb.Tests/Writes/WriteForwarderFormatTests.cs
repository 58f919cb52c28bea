// The forwarded-results wire format both ways: format 2 carries replies; without it, results
// are the earlier release's 18 bytes each, so members of two releases forward writes to each
// other during a rolling upgrade.
using KvDb.Core.Commands;
using KvDb.Node.Writes;

namespace KvDb.Tests.Writes;

public sealed class WriteForwarderFormatTests
{
    private static readonly ProposalResult[] Results =
    [
        new(41, CommandOutcome.Applied, 41, false, null),
        new(42, CommandOutcome.Applied, 42, true, [1, 2, 3]),
        new(0, CommandOutcome.PreconditionFailed, 7, false, []),
    ];

    [Fact]
    public void Format_2_round_trips_replies()
    {
        var body = WriteForwarder.EncodeResults(Results, withReplies: true);
        var decoded = WriteForwarder.DecodeResults(body, Results.Length, withReplies: true);
        decoded.Should().NotBeNull();
        decoded!.Select(r => (r.Index, r.Outcome, r.Revision, r.Replayed)).Should().Equal(Results.Select(r => (r.Index, r.Outcome, r.Revision, r.Replayed)));
        decoded!.Select(r => r.Reply).Should().BeEquivalentTo(Results.Select(r => r.Reply), o => o.WithStrictOrdering());
    }

    [Fact]
    public void Without_format_2_results_are_the_earlier_releases_18_bytes_each()
    {
        var body = WriteForwarder.EncodeResults(Results, withReplies: false);
        body.Length.Should().Be(18 * Results.Length, "a follower of the earlier release checks exactly that");
        var decoded = WriteForwarder.DecodeResults(body, Results.Length, withReplies: false);
        decoded!.Select(r => (r.Index, r.Outcome, r.Revision, r.Replayed, r.Reply)).Should().Equal(Results.Select(r => (r.Index, r.Outcome, r.Revision, r.Replayed, (byte[]?)null)));
    }

    [Fact]
    public void A_body_of_the_other_format_or_length_is_refused()
    {
        WriteForwarder.DecodeResults(WriteForwarder.EncodeResults(Results, withReplies: false), Results.Length, withReplies: true).Should().BeNull();
        WriteForwarder.DecodeResults(WriteForwarder.EncodeResults(Results, withReplies: true), Results.Length, withReplies: false).Should().BeNull();
        WriteForwarder.DecodeResults(WriteForwarder.EncodeResults(Results, withReplies: true), Results.Length + 1, withReplies: true).Should().BeNull();
    }
}
