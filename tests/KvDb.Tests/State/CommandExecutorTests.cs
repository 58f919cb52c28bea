using System.Text;
using KvDb.Core.Commands;
using KvDb.Core.State;

namespace KvDb.Tests.State;

public sealed class CommandExecutorTests : IDisposable
{
    private readonly InMemoryKeyValueStore store = new();
    private readonly CommandExecutor executor;

    public CommandExecutorTests() => executor = new CommandExecutor(store);

    public void Dispose() => store.Dispose();

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static PutCommand Put(string key, string value) => new() { Key = Bytes(key), Value = Bytes(value) };

    private static DeleteCommand Delete(string key) => new() { Key = Bytes(key) };

    private CommandResult[] Execute(long index, params KvCommand[] commands)
    {
        var results = new CommandResult[commands.Length];
        executor.Execute(index, 1, index * 1000, commands, results);
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

    private CommandResult Execute(long index, long proposedAt, KvCommand command)
    {
        var results = new CommandResult[1];
        executor.Execute(index, 1, proposedAt, [command], results);
        return results[0];
    }

    [Fact]
    public void Conditional_writes_check_the_revision_when_applied()
    {
        Execute(5, 0, (KvCommand)Put("k", "v1"));

        Execute(6, 0, new PutCommand { Key = Bytes("k"), Value = Bytes("x"), Condition = new() { Revision = 4 } })
            .Should().Be(new CommandResult(CommandOutcome.PreconditionFailed, 5), "the current revision is reported");
        Execute(7, 0, new PutCommand { Key = Bytes("k"), Value = Bytes("v2"), Condition = new() { Revision = 5 } })
            .Should().Be(new CommandResult(CommandOutcome.Applied, 7));
        Execute(8, 0, new PutCommand { Key = Bytes("k"), Value = Bytes("x"), Condition = new() { MustNotExist = true } }).Outcome
            .Should().Be(CommandOutcome.PreconditionFailed);
        Execute(9, 0, new PutCommand { Key = Bytes("new"), Value = Bytes("n"), Condition = new() { MustNotExist = true } }).Outcome
            .Should().Be(CommandOutcome.Applied);
        Execute(10, 0, new DeleteCommand { Key = Bytes("absent"), Condition = new() { MustExist = true } })
            .Should().Be(new CommandResult(CommandOutcome.PreconditionFailed, 0));
        Execute(11, 0, new DeleteCommand { Key = Bytes("k"), Condition = new() { Revision = 5 } }).Outcome
            .Should().Be(CommandOutcome.PreconditionFailed);
        Execute(12, 0, new DeleteCommand { Key = Bytes("k"), Condition = new() { Revision = 7 } })
            .Should().Be(new CommandResult(CommandOutcome.Applied, 12));

        Value("k").Should().BeNull();
        Value("new").Should().Be("n");
    }

    [Fact]
    public void A_retried_idempotency_key_answers_the_first_result_without_applying_again()
    {
        var first = Execute(3, 1000, new PutCommand { Key = Bytes("k"), Value = Bytes("v"), IdempotencyKey = "req-1" });
        Execute(4, 2000, (KvCommand)Put("k", "changed-by-someone-else"));
        var retry = Execute(5, 3000, new PutCommand { Key = Bytes("k"), Value = Bytes("v"), IdempotencyKey = "req-1" });

        first.Should().Be(new CommandResult(CommandOutcome.Applied, 3));
        retry.Should().Be(new CommandResult(CommandOutcome.Applied, 3, Replayed: true));
        Value("k").Should().Be("changed-by-someone-else", "the retry must not be applied twice");

        Execute(6, 4000, new PutCommand { Key = Bytes("k"), Value = Bytes("different"), IdempotencyKey = "req-1" }).Outcome
            .Should().Be(CommandOutcome.IdempotencyKeyReused);
        Value("k").Should().Be("changed-by-someone-else");
    }

    [Fact]
    public void A_failed_condition_is_remembered_too()
    {
        var cas = new PutCommand { Key = Bytes("k"), Value = Bytes("v"), Condition = new() { Revision = 99 }, IdempotencyKey = "cas-1" };
        Execute(1, 0, cas).Outcome.Should().Be(CommandOutcome.PreconditionFailed);
        Execute(2, 0, new PutCommand { Key = Bytes("k"), Value = Bytes("x") });
        Execute(3, 0, cas).Should().Be(new CommandResult(CommandOutcome.PreconditionFailed, 0, Replayed: true));
    }

    [Fact]
    public void Idempotency_keys_are_forgotten_after_the_window_measured_on_the_log_clock()
    {
        var window = (long)CommandExecutor.IdempotencyWindow.TotalMilliseconds;
        Execute(1, 0, new DeleteCommand { Key = Bytes("k"), IdempotencyKey = "d-1" }).Outcome.Should().Be(CommandOutcome.NotFound);
        Execute(2, 0, (KvCommand)Put("k", "v"));

        // Within the window the first answer is replayed; after it, the delete is applied afresh.
        Execute(3, window, new DeleteCommand { Key = Bytes("k"), IdempotencyKey = "d-1" }).Replayed.Should().BeTrue();
        Execute(4, window + 1, new DeleteCommand { Key = Bytes("k"), IdempotencyKey = "d-1" })
            .Should().Be(new CommandResult(CommandOutcome.Applied, 4));

        // Keys older than the window are swept out by later idempotent writes.
        for (var i = 0; i < 10; i++)
            Execute(10 + i, 10, new PutCommand { Key = Bytes($"old{i}"), Value = [], IdempotencyKey = $"old-{i}" });
        for (var i = 0; i < 5; i++)
            Execute(30 + i, window * 3, new PutCommand { Key = Bytes($"new{i}"), Value = [], IdempotencyKey = $"new-{i}" });

        using var view = store.OpenView();
        var remembered = view.Scan(StoreKeys.Start(StoreKeys.Idempotency), StoreKeys.End(StoreKeys.Idempotency))
            .Select(p => Encoding.UTF8.GetString(p.Key.AsSpan(1))).ToList();
        remembered.Should().Contain(["new-0", "new-1", "new-2", "new-3", "new-4"]).And.NotContain("old-0").And.NotContain("d-1");
        view.Scan(StoreKeys.Start(StoreKeys.IdempotencyExpiry), StoreKeys.End(StoreKeys.IdempotencyExpiry)).Count()
            .Should().Be(remembered.Count, "the expiry index and the table stay in step");
    }
}
