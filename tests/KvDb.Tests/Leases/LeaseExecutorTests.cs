// Leases as every member applies them: grants, keys attached and detached by the writes that
// write them, revocation deleting every attached key in one history record, puts that grant
// their own lease, transactions that put with a lease, and the lease table kept in step.
using System.Text;
using KvDb.Core.Commands;
using KvDb.Core.Leases;
using KvDb.Core.State;
using KvDb.Core.Transactions;
using KvDb.Core.Watch;

namespace KvDb.Tests.Leases;

public sealed class LeaseExecutorTests : IDisposable
{
    private readonly InMemoryKeyValueStore store = new();
    private readonly CommandExecutor executor;

    public LeaseExecutorTests() => executor = new CommandExecutor(store);

    public void Dispose() => store.Dispose();

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private CommandResult Run(long index, KvCommand command)
    {
        var results = new CommandResult[1];
        executor.Execute(index, 1, index * 1000, [command], results);
        return results[0];
    }

    private CommandResult Put(long index, string key, long lease = 0, long grantTtlMs = 0)
        => Run(index, new PutCommand { Key = Bytes(key), Value = Bytes("v"), Lease = lease, GrantTtlMs = grantTtlMs });

    private bool Exists(string key) => store.TryGet(StoreKeys.ForUser(Bytes(key)), out _);

    private long LeaseOf(string key) => store.TryGet(StoreKeys.ForUser(Bytes(key)), out var record) ? UserRecord.Lease(record) : -1;

    [Fact]
    public void Revoking_a_lease_deletes_exactly_the_keys_still_attached_to_it_at_one_revision()
    {
        Run(1, new GrantLeaseCommand { Id = 7, TtlMs = 10_000 }).Outcome.Should().Be(CommandOutcome.Applied);
        executor.Leases.TryGet(7, out var lease).Should().BeTrue();
        lease.TtlMs.Should().Be(10_000);
        Put(2, "a", lease: 7);
        Put(3, "b", lease: 7);
        Put(4, "c", lease: 7);
        Put(5, "b");                                                // detached by a put without the lease
        Run(6, new DeleteCommand { Key = Bytes("c") });             // deleted, then created again without it
        Put(7, "c");
        LeaseOf("a").Should().Be(7);
        LeaseOf("b").Should().Be(0);

        Run(8, new RevokeLeaseCommand { Id = 7 }).Outcome.Should().Be(CommandOutcome.Applied);
        Exists("a").Should().BeFalse();
        Exists("b").Should().BeTrue();
        Exists("c").Should().BeTrue();
        executor.Leases.Count.Should().Be(0);
        using var view = store.OpenView();
        ChangeHistory.At(view, 8)!.Events.Should().ContainSingle().Which.Should().Match<ChangeEvent>(e => e.Deleted && Encoding.UTF8.GetString(e.Key) == "a");
        Run(9, new RevokeLeaseCommand { Id = 7 }).Outcome.Should().Be(CommandOutcome.NotFound);
    }

    [Fact]
    public void A_put_naming_a_missing_lease_writes_nothing_and_a_put_with_a_ttl_grants_its_lease()
    {
        Put(1, "k", lease: 99).Outcome.Should().Be(CommandOutcome.LeaseNotFound);
        Exists("k").Should().BeFalse();

        Put(2, "k", lease: 5, grantTtlMs: 3000).Outcome.Should().Be(CommandOutcome.Applied);
        executor.Leases.TryGet(5, out var granted).Should().BeTrue();
        granted.GrantedAt.Should().Be(2);
        LeaseOf("k").Should().Be(5);
        Put(3, "other", lease: 5, grantTtlMs: 3000).Outcome.Should().Be(CommandOutcome.Conflict, "a lease id is granted once");
    }

    [Fact]
    public void A_transaction_puts_with_a_lease_and_fails_whole_when_the_lease_is_gone()
    {
        Run(1, new GrantLeaseCommand { Id = 3, TtlMs = 5000 });
        var put = new TxnOperation { Kind = TxnOperationKind.Put, Key = Bytes("t"), Value = Bytes("1"), Lease = 3 };
        Run(2, new TxnCommand { Comparisons = [], Then = [put], Else = [] }).Outcome.Should().Be(CommandOutcome.Applied);
        LeaseOf("t").Should().Be(3);

        var missing = new TxnOperation { Kind = TxnOperationKind.Put, Key = Bytes("u"), Value = Bytes("1"), Lease = 4 };
        var other = new TxnOperation { Kind = TxnOperationKind.Put, Key = Bytes("w"), Value = Bytes("1") };
        Run(3, new TxnCommand { Comparisons = [], Then = [other, missing], Else = [] }).Outcome.Should().Be(CommandOutcome.LeaseNotFound);
        Exists("w").Should().BeFalse("a transaction applies whole or not at all");
    }

    [Fact]
    public void The_lease_table_is_rebuilt_from_the_store()
    {
        Run(1, new GrantLeaseCommand { Id = 1, TtlMs = 1000 });
        Run(2, new GrantLeaseCommand { Id = 2, TtlMs = 2000 });
        Run(3, new RevokeLeaseCommand { Id = 1 });
        var table = new LeaseTable();
        table.Reload(store);
        table.All().Should().ContainSingle().Which.Should().Be(new LeaseInfo(2, 2000, 2));
    }

    [Fact]
    public void Lease_commands_survive_the_log_codec()
    {
        var (_, commands) = LogEntryCodec.Decode(LogEntryCodec.Encode([new GrantLeaseCommand { Id = 9, TtlMs = 1500 }, new RevokeLeaseCommand { Id = 9, Expired = true }, new PutCommand { Key = Bytes("k"), Value = [], Lease = 9, GrantTtlMs = 1500 }], 1));
        commands[0].Should().BeOfType<GrantLeaseCommand>().Which.TtlMs.Should().Be(1500);
        commands[1].Should().BeOfType<RevokeLeaseCommand>().Which.Expired.Should().BeTrue();
        commands[2].Should().BeOfType<PutCommand>().Which.Should().Match<PutCommand>(p => p.Lease == 9 && p.GrantTtlMs == 1500);
    }
}
