// The apply-time half of "one membership change at a time": a removal that carries the map and
// voters its proposer saw is refused when it applies after another change, or while a removed
// member still votes; every replica decides the same from the log alone.
using System.Text;
using KvDb.Core.Commands;
using KvDb.Core.State;

namespace KvDb.Tests.Membership;

public sealed class OneRemovalAtATimeTests : IDisposable
{
    private static readonly string[] Urls = ["http://a:1", "http://b:2", "http://c:3", "http://d:4"];

    private readonly InMemoryKeyValueStore store = new();
    private readonly CommandExecutor executor;

    public OneRemovalAtATimeTests()
    {
        executor = new CommandExecutor(store);
        Execute(1, new BootstrapMembersCommand { PeerUrls = Urls });
    }

    public void Dispose() => store.Dispose();

    private CommandResult[] Execute(long index, params KvCommand[] commands)
    {
        var results = new CommandResult[commands.Length];
        executor.Execute(index, 1, index * 1000, commands, results);
        return results;
    }

    private SortedDictionary<int, string> Map()
    {
        using var view = store.OpenView();
        return MembershipMap.Read(view);
    }

    // What a proposer sends having seen the current map and a configuration that matches it.
    private RemoveMemberCommand Removal(int id) => new() { Id = id, Voters = [.. Map().Values], ExpectedMembers = MembershipMap.Describe(Map()) };

    [Fact]
    public void Two_removals_proposed_from_the_same_view_apply_only_the_first()
    {
        var third = Removal(3);
        var fourth = Removal(4);

        var results = Execute(2, third, fourth);

        results[0].Outcome.Should().Be(CommandOutcome.Applied);
        results[1].Outcome.Should().Be(CommandOutcome.PreconditionFailed);
        Encoding.UTF8.GetString(results[1].Reply!).Should().Contain("member 3 (http://c:3) was removed");
        Map().Keys.Should().Equal(1, 2, 4);
    }

    [Fact]
    public void The_same_two_removals_in_separate_entries_are_refused_alike()
    {
        var third = Removal(3);
        var fourth = Removal(4);

        Execute(2, third)[0].Outcome.Should().Be(CommandOutcome.Applied);
        Execute(3, fourth)[0].Outcome.Should().Be(CommandOutcome.PreconditionFailed);
        Map().Keys.Should().Equal(1, 2, 4);
    }

    [Fact]
    public void A_removal_is_refused_while_a_removed_member_still_votes()
    {
        Execute(2, Removal(3))[0].Outcome.Should().Be(CommandOutcome.Applied);

        // The proposer saw the new map, but member 3 still in the Raft configuration.
        var fourth = new RemoveMemberCommand { Id = 4, Voters = Urls, ExpectedMembers = MembershipMap.Describe(Map()) };
        var result = Execute(3, fourth)[0];

        result.Outcome.Should().Be(CommandOutcome.PreconditionFailed);
        Encoding.UTF8.GetString(result.Reply!).Should().Contain("http://c:3").And.Contain("still votes");
        Map().Keys.Should().Equal(1, 2, 4);

        // Once the configuration no longer holds member 3, the removal passes.
        Execute(4, Removal(4))[0].Outcome.Should().Be(CommandOutcome.Applied);
        Map().Keys.Should().Equal(1, 2);
    }

    [Fact]
    public void An_addition_applied_first_refuses_a_removal_proposed_before_it()
    {
        var fourth = Removal(4);
        Execute(2, new SetMemberCommand { Id = 5, PeerUrl = "http://e:5" })[0].Outcome.Should().Be(CommandOutcome.Applied);

        var result = Execute(3, fourth)[0];
        result.Outcome.Should().Be(CommandOutcome.PreconditionFailed);
        Encoding.UTF8.GetString(result.Reply!).Should().Contain("member 5 (http://e:5) was added");
    }

    [Fact]
    public void Removals_of_older_releases_carry_no_expectation_and_are_not_checked()
    {
        Execute(2, new RemoveMemberCommand { Id = 3 }, new RemoveMemberCommand { Id = 4 })
            .Select(r => r.Outcome).Should().Equal(CommandOutcome.Applied, CommandOutcome.Applied);
    }

    [Fact]
    public void Missing_members_and_the_last_member_keep_their_answers()
    {
        var stale = Removal(9);
        Execute(2, stale)[0].Outcome.Should().Be(CommandOutcome.NotFound);
        Execute(3, Removal(3))[0].Outcome.Should().Be(CommandOutcome.Applied);
        Execute(4, Removal(3))[0].Outcome.Should().Be(CommandOutcome.NotFound, "a removal repeated after it applied finds nothing to remove");
    }

    [Fact]
    public void A_checked_removal_crosses_the_log_whole()
    {
        var removal = Removal(3);

        var (_, decoded) = LogEntryCodec.Decode((ReadOnlyMemory<byte>)LogEntryCodec.Encode([removal, new RemoveMemberCommand { Id = 4 }], 1));

        decoded[0].Should().BeEquivalentTo(removal);
        decoded[1].Should().BeOfType<RemoveMemberCommand>().Which.Voters.Should().BeNull();
    }
}
