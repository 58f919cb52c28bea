// The cluster version from the replicated records: the lowest release wins, a member without a
// record counts as the baseline release (d1e20ae's commands), a command kind is usable only when
// every member advertised it; advertisements are recorded through a command that releases before
// cluster versions decode (trailing fields skipped) and apply as a no-op.
using KvDb.Core.Commands;
using KvDb.Core.Membership;
using KvDb.Core.State;
using MessagePack;

namespace KvDb.Tests.Membership;

public sealed class ClusterVersionTests : IDisposable
{
    private static readonly CommandRegistry Registry = CommandRegistry.Default;
    private static readonly MemberRelease Full = MemberRelease.Of("0.2.0", Registry.Handlers.Select(static h => h.Tag));

    private readonly InMemoryKeyValueStore store = new();
    private readonly CommandExecutor executor;

    public ClusterVersionTests() => executor = new CommandExecutor(store);

    public void Dispose() => store.Dispose();

    private static int Tag(string name) => Registry.Handlers.Single(h => h.LogName == name).Tag;

    private static MemberRelease Without(string name) => MemberRelease.Of("0.2.0", Full.Commands.Where(t => t != Tag(name)));

    [Fact]
    public void The_baseline_is_the_command_kinds_of_d1e20ae()
    {
        // d1e20ae's KvCommand declared [Union(0..16)]: Put, Delete, the membership, auth and
        // transaction commands, leases and lists. Those after it (signing-key rotation, password
        // rehash, S2 streams) are not in the baseline.
        ClusterVersion.BaselineCommands.Order().Should().Equal(Enumerable.Range(0, 17));
        ClusterVersion.BaselineCommands.Select(t => Registry.HandlerOf(t)?.LogName).Should().Contain(["Put", "Delete", "SetMember", "Txn", "GrantLease", "Append"]);
        ClusterVersion.BaselineCommands.Should().NotContain([Tag("RotateSigningKeyCommand"), Tag("StreamAppend"), Tag("PutBasin")]);
    }

    [Fact]
    public void Members_that_all_advertise_everything_can_use_everything_at_the_lowest_release()
    {
        var version = ClusterVersion.Compute(new Dictionary<int, MemberRelease?> { [1] = Full, [2] = Full, [3] = MemberRelease.Of("0.3.1", Full.Commands) }, Registry);

        version.Version.Should().Be("0.2.0");
        Registry.Handlers.Should().OnlyContain(h => version.Allows(h.Tag));
        version.Unusable.Should().BeEmpty();
    }

    [Fact]
    public void A_member_without_a_record_counts_as_the_baseline_release_and_is_named()
    {
        var version = ClusterVersion.Compute(new Dictionary<int, MemberRelease?> { [1] = Full, [2] = null, [3] = Full }, Registry);

        version.Version.Should().Be(ClusterVersion.BaselineRelease);
        version.Allows(Tag("Put")).Should().BeTrue();
        version.Allows(Tag("Append")).Should().BeTrue("lists existed at d1e20ae");
        version.Allows(Tag("StreamAppend")).Should().BeFalse();
        version.Lacking(Tag("StreamAppend")).Should().Equal(2);
        version.Unusable.Should().Equal(Registry.Handlers.Select(static h => h.Tag).Where(t => t > 16).Order());
    }

    [Fact]
    public void A_member_that_cannot_apply_one_kind_blocks_only_that_kind()
    {
        var version = ClusterVersion.Compute(new Dictionary<int, MemberRelease?> { [1] = Full, [2] = Without("StreamAppend"), [3] = Without("StreamAppend") }, Registry);

        version.Allows(Tag("StreamAppend")).Should().BeFalse();
        version.Lacking(Tag("StreamAppend")).Should().Equal(2, 3);
        version.Allows(Tag("PutBasin")).Should().BeTrue();
        version.Unusable.Should().Equal(Tag("StreamAppend"));
    }

    [Fact]
    public void Before_the_map_is_known_only_the_baseline_is_usable()
    {
        var version = ClusterVersion.Unknown;

        version.Allows(Tag("Put")).Should().BeTrue();
        version.Allows(Tag("StreamAppend")).Should().BeFalse();
        version.Lacking(Tag("StreamAppend")).Should().BeEmpty();
        version.Allows(-1).Should().BeFalse();
        version.Allows(100_000).Should().BeFalse();
    }

    [Fact]
    public void Releases_compare_by_their_numbers()
    {
        var version = ClusterVersion.Compute(new Dictionary<int, MemberRelease?> { [1] = MemberRelease.Of("0.10.0", Full.Commands), [2] = MemberRelease.Of("0.9.1", Full.Commands) }, Registry);

        version.Version.Should().Be("0.9.1");
    }

    [Fact]
    public void An_advertisement_is_recorded_for_a_member_of_the_map_and_removed_with_it()
    {
        Execute(1, new BootstrapMembersCommand { PeerUrls = ["http://a:1", "http://b:2"] });
        var before = Read();

        Execute(2, Advertise(2, Without("StreamAppend"))).Outcome.Should().Be(CommandOutcome.Applied);
        executor.ReleasesChanged.Should().BeTrue();
        Execute(3, Advertise(7, Full)).Outcome.Should().Be(CommandOutcome.Conflict, "member 7 is not in the map");

        using (var view = store.OpenView())
        {
            MemberRelease.ReadAll(view).Should().ContainSingle().Which.Should().Match<KeyValuePair<int, MemberRelease>>(p => p.Key == 2 && p.Value.SameAs(Without("StreamAppend")));
            MembershipMap.Read(view).Should().Equal(before, "an advertisement changes no member");
        }

        Execute(4, new RemoveMemberCommand { Id = 2 });
        using (var view = store.OpenView())
            MemberRelease.ReadAll(view).Should().BeEmpty();
    }

    [Fact]
    public void A_release_before_cluster_versions_decodes_an_advertisement_as_a_plain_bootstrap()
    {
        var encoded = LogEntryCodec.Encode([Advertise(2, Full)], 1);
        var bootstrap = MessagePackSerializer.Serialize(new BootstrapMembersCommand { PeerUrls = ["http://a:1"], ClusterId = "c", ReleaseOf = 2, Release = "0.2.0", Commands = [1, 2] }, Registry.SerializerOptions);

        // d1e20ae's BootstrapMembersCommand had keys 0 and 1 only; MessagePack skips the rest.
        var old = MessagePackSerializer.Deserialize<D1e20aeBootstrap>(bootstrap, MessagePackSerializerOptions.Standard);
        old.PeerUrls.Should().Equal("http://a:1");
        old.ClusterId.Should().Be("c");
        LogEntryCodec.Decode(encoded).Commands.Should().ContainSingle().Which.Should().BeOfType<BootstrapMembersCommand>().Which.Release.Should().Be("0.2.0");
    }

    [Fact]
    public void Own_release_leaves_out_hidden_commands_by_name_or_tag()
    {
        var own = ClusterVersionGate.OwnRelease(Registry, $"StreamAppend, {Tag("PutBasin")}");

        own.Release.Should().Be(CommandLine.Version);
        own.Commands.Should().NotContain([Tag("StreamAppend"), Tag("PutBasin")]);
        own.Commands.Should().HaveCount(Registry.Handlers.Count() - 2);
        ClusterVersionGate.OwnRelease(Registry, null).SameAs(MemberRelease.Of(CommandLine.Version, Full.Commands)).Should().BeTrue();
    }

    [Fact]
    public void The_stored_form_round_trips()
    {
        MemberRelease.Decode(Without("Txn").Encode()).Should().Match<MemberRelease>(r => r.SameAs(Without("Txn")));
        MemberRelease.Decode("no newline"u8).Should().BeNull();
        MemberRelease.Decode("0.2.0\n1,x"u8).Should().BeNull();
    }

    private static BootstrapMembersCommand Advertise(int id, MemberRelease release)
        => new() { PeerUrls = ["http://a:1", "http://b:2"], ReleaseOf = id, Release = release.Release, Commands = [.. release.Commands] };

    private CommandResult Execute(long index, KvCommand command)
    {
        var results = new CommandResult[1];
        executor.Execute(index, 1, index * 1000, [command], results);
        return results[0];
    }

    private SortedDictionary<int, string> Read()
    {
        using var view = store.OpenView();
        return MembershipMap.Read(view);
    }

    /// <summary>BootstrapMembersCommand as commit d1e20ae declared it.</summary>
    [MessagePackObject]
    public sealed class D1e20aeBootstrap
    {
        [Key(0)]
        public string[] PeerUrls { get; set; } = [];

        [Key(1)]
        public string? ClusterId { get; set; }
    }
}
