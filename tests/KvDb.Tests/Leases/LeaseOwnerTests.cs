// A lease's owner (issue 26, finding 7) as every member applies and stores it: grants and puts
// with a TTL record it, the table rebuilt from the store (at start-up, after a snapshot) keeps
// it, a record of an earlier release reads as ownerless, and the commands carry it in a form
// earlier releases read (they skip it) while commands without it are written as before.
using KvDb.Core.Commands;
using KvDb.Core.Leases;
using KvDb.Core.State;
using MessagePack;

namespace KvDb.Tests.Leases;

public sealed class LeaseOwnerTests : IDisposable
{
    private static readonly MessagePackSerializerOptions Standard = MessagePackSerializerOptions.Standard;

    private readonly InMemoryKeyValueStore store = new();
    private readonly CommandExecutor executor;

    public LeaseOwnerTests() => executor = new CommandExecutor(store);

    public void Dispose() => store.Dispose();

    private CommandResult Run(long index, KvCommand command)
    {
        var results = new CommandResult[1];
        executor.Execute(index, 1, index * 1000, [command], results);
        return results[0];
    }

    [Fact]
    public void Grants_and_puts_with_a_ttl_record_their_owner_and_a_reload_keeps_it()
    {
        Run(1, new GrantLeaseCommand { Id = 7, TtlMs = 10_000, Owner = "mal" });
        Run(2, new PutCommand { Key = "k"u8.ToArray(), Value = [1], Lease = 8, GrantTtlMs = 5_000, GrantOwner = "ann" });
        Run(3, new GrantLeaseCommand { Id = 9, TtlMs = 10_000 });

        executor.Leases.TryGet(7, out var granted).Should().BeTrue();
        granted.Should().Be(new LeaseInfo(7, 10_000, 1, "mal"));
        executor.Leases.TryGet(8, out var withPut).Should().BeTrue();
        withPut.Should().Be(new LeaseInfo(8, 5_000, 2, "ann"));
        executor.Leases.TryGet(9, out var ownerless).Should().BeTrue();
        ownerless.Owner.Should().BeNull();

        var reloaded = new LeaseTable();
        reloaded.Reload(store);
        reloaded.All().Should().BeEquivalentTo(executor.Leases.All());
    }

    [Fact]
    public void A_lease_record_of_an_earlier_release_reads_as_ownerless_and_ours_keeps_its_first_sixteen_bytes()
    {
        var earlier = LeaseTable.Encode(10_000, 4);
        earlier.Should().HaveCount(16);
        LeaseTable.Decode(3, earlier).Should().Be(new LeaseInfo(3, 10_000, 4));

        var owned = LeaseTable.Encode(10_000, 4, "mal");
        owned.AsSpan(0, 16).ToArray().Should().Equal(earlier);
        LeaseTable.Decode(3, owned).Should().Be(new LeaseInfo(3, 10_000, 4, "mal"));
    }

    [Fact]
    public void Commands_with_an_owner_round_trip_and_an_earlier_release_reads_them_without_it()
    {
        var put = new PutCommand { Key = "k"u8.ToArray(), Value = [1, 2], Kind = ValueKind.Typed, Condition = new Precondition { MustNotExist = true }, IdempotencyKey = "i", Lease = 5, GrantTtlMs = 3000, GrantOwner = "mal" };
        var grant = new GrantLeaseCommand { Id = 11, TtlMs = 5000, IdempotencyKey = "g", Owner = "mal" };

        var putBytes = MessagePackSerializer.Serialize(put, Standard);
        MessagePackSerializer.Deserialize<PutCommand>(putBytes, Standard).Should().BeEquivalentTo(put);
        var earlierPut = MessagePackSerializer.Deserialize<EarlierPutCommand>(putBytes, Standard);
        earlierPut.Should().BeEquivalentTo(new { put.Key, put.Value, put.Kind, put.IdempotencyKey, put.Lease, put.GrantTtlMs });

        var grantBytes = MessagePackSerializer.Serialize(grant, Standard);
        MessagePackSerializer.Deserialize<GrantLeaseCommand>(grantBytes, Standard).Should().BeEquivalentTo(grant);
        MessagePackSerializer.Deserialize<EarlierGrantLeaseCommand>(grantBytes, Standard).Should().BeEquivalentTo(new { grant.Id, grant.TtlMs, grant.IdempotencyKey });
    }

    [Fact]
    public void Commands_without_an_owner_are_written_as_the_earlier_release_wrote_them()
    {
        var put = new PutCommand { Key = "k"u8.ToArray(), Value = [1], Condition = new Precondition { Revision = 3 }, Lease = 5 };
        var earlierPut = new EarlierPutCommand { Key = "k"u8.ToArray(), Value = [1], Condition = new Precondition { Revision = 3 }, Lease = 5 };
        MessagePackSerializer.Serialize(put, Standard).Should().Equal(MessagePackSerializer.Serialize(earlierPut, Standard));

        var grant = new GrantLeaseCommand { Id = 11, TtlMs = 5000 };
        var earlierGrant = new EarlierGrantLeaseCommand { Id = 11, TtlMs = 5000 };
        MessagePackSerializer.Serialize(grant, Standard).Should().Equal(MessagePackSerializer.Serialize(earlierGrant, Standard));
    }
}

/// <summary>A put as the release before lease owners declared it (MessagePack's generated formatter).</summary>
[MessagePackObject]
public sealed class EarlierPutCommand
{
    [Key(0)]
    public byte[] Key { get; set; } = [];

    [Key(1)]
    public byte[] Value { get; set; } = [];

    [Key(2)]
    public ValueKind Kind { get; set; }

    [Key(3)]
    public Precondition? Condition { get; set; }

    [Key(4)]
    public string? IdempotencyKey { get; set; }

    [Key(5)]
    public long Lease { get; set; }

    [Key(6)]
    public long GrantTtlMs { get; set; }
}

/// <summary>A grant as the release before lease owners declared it.</summary>
[MessagePackObject]
public sealed class EarlierGrantLeaseCommand
{
    [Key(0)]
    public long Id { get; set; }

    [Key(1)]
    public long TtlMs { get; set; }

    [Key(2)]
    public string? IdempotencyKey { get; set; }
}
