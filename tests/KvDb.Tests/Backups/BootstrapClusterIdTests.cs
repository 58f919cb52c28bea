// The cluster id in the replicated state: set by the first bootstrap, given once to a cluster
// bootstrapped before ids existed, never replaced.
using KvDb.Core.Commands;
using KvDb.Core.State;

namespace KvDb.Tests.Backups;

public sealed class BootstrapClusterIdTests
{
    private static CommandOutcome Apply(CommandExecutor executor, long index, KvCommand command)
    {
        var results = new CommandResult[1];
        executor.Execute(index, 1, 0, [command], results);
        return results[0].Outcome;
    }

    [Fact]
    public void The_bootstrap_records_the_cluster_id_and_a_later_one_cannot_replace_it()
    {
        using var store = new InMemoryKeyValueStore();
        var executor = new CommandExecutor(store, TimeSpan.FromMinutes(15), 100_000);

        Apply(executor, 1, new BootstrapMembersCommand { PeerUrls = ["http://a:1", "http://b:1"], ClusterId = "00000000000000aa" }).Should().Be(CommandOutcome.Applied);
        Apply(executor, 2, new BootstrapMembersCommand { PeerUrls = ["http://a:1", "http://b:1"], ClusterId = "00000000000000bb" }).Should().Be(CommandOutcome.Conflict);

        ClusterId.Read(store).Should().Be("00000000000000aa");
    }

    [Fact]
    public void A_cluster_bootstrapped_without_an_id_gets_one_and_keeps_its_members()
    {
        using var store = new InMemoryKeyValueStore();
        var executor = new CommandExecutor(store, TimeSpan.FromMinutes(15), 100_000);
        Apply(executor, 1, new BootstrapMembersCommand { PeerUrls = ["http://a:1", "http://b:1"] }).Should().Be(CommandOutcome.Applied);
        ClusterId.Read(store).Should().BeNull();

        Apply(executor, 2, new BootstrapMembersCommand { PeerUrls = ["http://x:1"], ClusterId = "00000000000000cc" }).Should().Be(CommandOutcome.Applied);

        ClusterId.Read(store).Should().Be("00000000000000cc");
        using var view = store.OpenView();
        MembershipMap.Read(view).Values.Should().Equal("http://a:1", "http://b:1");
    }

    [Fact]
    public void The_cluster_id_survives_the_log_encoding()
    {
        var command = new BootstrapMembersCommand { PeerUrls = ["http://a:1"], ClusterId = "00000000000000dd" };
        var (_, decoded) = LogEntryCodec.Decode((ReadOnlyMemory<byte>)LogEntryCodec.Encode([command], 0));
        decoded.Should().ContainSingle().Which.Should().BeOfType<BootstrapMembersCommand>().Which.ClusterId.Should().Be("00000000000000dd");
    }
}
