using System.Text;
using KvDb.Core.Commands;
using KvDb.Core.State;

namespace KvDb.Tests.Core;

public sealed class CommandExecutorTests
{
    private readonly InMemoryKeyValueStore store = new();
    private readonly CommandExecutor executor;

    public CommandExecutorTests() => executor = new CommandExecutor(store);

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static PutCommand Put(string key, string value) => new() { Key = Bytes(key), Value = Bytes(value) };

    private static DeleteCommand Delete(string key) => new() { Key = Bytes(key) };

    private CommandResult[] Execute(long index, params KvCommand[] commands)
    {
        var results = new CommandResult[commands.Length];
        executor.Execute(index, commands, results);
        return results;
    }

    private string? Value(string key)
        => store.TryGet(StoreKeys.ForUser(Bytes(key)), out var record) ? Encoding.UTF8.GetString(UserRecord.Payload(record!).Span) : null;

    private long Revision(string key)
        => store.TryGet(StoreKeys.ForUser(Bytes(key)), out var record) ? UserRecord.Revision(record) : 0;

    [Fact]
    public void Commands_of_an_entry_apply_in_order_and_see_each_other()
    {
        var results = Execute(1, Put("a", "1"), Put("a", "2"), Delete("b"), Delete("a"), Put("c", "3"));

        results.Select(r => r.Outcome).Should().Equal(CommandOutcome.Applied, CommandOutcome.Applied, CommandOutcome.NotFound, CommandOutcome.Applied, CommandOutcome.Applied);
        Value("a").Should().BeNull();
        Value("c").Should().Be("3");
        store.AppliedIndex.Should().Be(1);
    }

    [Fact]
    public void A_key_carries_the_index_of_its_last_write_as_revision()
    {
        Execute(3, Put("k", "v1"));
        Execute(7, Put("other", "x"));
        Revision("k").Should().Be(3);

        Execute(9, Put("k", "v2"))[0].Should().Be(new CommandResult(CommandOutcome.Applied, 9));
        Revision("k").Should().Be(9);
        Value("k").Should().Be("v2");
    }

    [Fact]
    public void User_keys_cannot_collide_with_the_membership_map()
    {
        Execute(1, new BootstrapMembersCommand { PeerUrls = ["http://127.0.0.1:1"] });
        Execute(2, new PutCommand { Key = StoreKeys.ForMember(1), Value = Bytes("not a member") });

        using var view = store.OpenView();
        MembershipMap.Read(view).Should().Equal(new Dictionary<int, string> { [1] = "http://127.0.0.1:1" });
    }

    [Fact]
    public void Bootstrap_records_members_once()
    {
        Execute(1, new BootstrapMembersCommand { PeerUrls = ["http://a:1", "http://b:2", "http://c:3"] })[0].Outcome.Should().Be(CommandOutcome.Applied);
        executor.MembershipChanges.Should().HaveCount(3);
        Execute(2, new BootstrapMembersCommand { PeerUrls = ["http://x:9"] })[0].Outcome.Should().Be(CommandOutcome.Conflict);

        using var view = store.OpenView();
        MembershipMap.Read(view).Should().Equal(new Dictionary<int, string> { [1] = "http://a:1", [2] = "http://b:2", [3] = "http://c:3" });
    }

    [Fact]
    public void Member_ids_and_urls_stay_one_to_one()
    {
        Execute(1, new BootstrapMembersCommand { PeerUrls = ["http://a:1", "http://b:2"] });

        Execute(2, new SetMemberCommand { Id = 3, PeerUrl = "http://c:3" })[0].Outcome.Should().Be(CommandOutcome.Applied);
        Execute(3, new SetMemberCommand { Id = 3, PeerUrl = "http://c:3" })[0].Outcome.Should().Be(CommandOutcome.Applied, "adding the same member again is idempotent");
        Execute(4, new SetMemberCommand { Id = 3, PeerUrl = "http://d:4" })[0].Outcome.Should().Be(CommandOutcome.Conflict, "id 3 has another URL");
        Execute(5, new SetMemberCommand { Id = 4, PeerUrl = "http://a:1" })[0].Outcome.Should().Be(CommandOutcome.Conflict, "the URL belongs to member 1");
        Execute(6, new RemoveMemberCommand { Id = 9 })[0].Outcome.Should().Be(CommandOutcome.NotFound);
        Execute(7, new RemoveMemberCommand { Id = 1 })[0].Outcome.Should().Be(CommandOutcome.Applied);
        executor.MembershipChanges.Should().Equal(new MembershipChange(1, "http://a:1", Removed: true));
        Execute(8, new RemoveMemberCommand { Id = 2 })[0].Outcome.Should().Be(CommandOutcome.Applied);
        Execute(9, new RemoveMemberCommand { Id = 3 })[0].Outcome.Should().Be(CommandOutcome.Conflict, "the last member cannot be removed");

        using var view = store.OpenView();
        MembershipMap.Read(view).Should().Equal(new Dictionary<int, string> { [3] = "http://c:3" });
    }
}
