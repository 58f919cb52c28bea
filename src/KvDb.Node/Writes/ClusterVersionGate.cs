// The write path's check that every member can apply a command before it is proposed (issue 31:
// a member of an earlier release stops applying for good at an entry it cannot decode). One place,
// ProposalBatcher.ProposeAsync, asks it for every command of every feature, so a new command kind
// is covered without an edit here.
// Invariants:
//  - The check on the hot path is a volatile read and an array load (ClusterVersion.Allows); the
//    ClusterVersion is recomputed off the applier's thread when an entry changed the membership
//    map or a member's advertised release, or a snapshot was installed.
//  - The check is made when a command is proposed, against the applied state of the member making
//    it: on a follower before forwarding, and again on the leader for forwarded commands (a
//    follower of an earlier release checks nothing). A member added between the check and the
//    commit is not covered; it counts as the oldest release until it advertises itself.
//  - This build's own advertisement (Own) is every registered command kind, less those named by
//    KVDB_TEST_HIDE_COMMANDS (test-only: lets a test play a member of an earlier release).
using KvDb.Core.Commands;
using KvDb.Core.Membership;
using KvDb.Core.State;
using KvDb.Node.Hosting;
using KvDb.Node.Raft;

namespace KvDb.Node.Writes;

/// <summary>Decides whether a kind of command may be proposed now.</summary>
public interface ICommandGate
{
    /// <summary>Why commands of <paramref name="handler"/>'s kind may not be proposed now, or null when they may.</summary>
    UnavailableException? RefusalOf(CommandHandler handler);
}

/// <summary>Tells whether every member can apply a kind of command, from the replicated release records.</summary>
public sealed class ClusterVersionGate : ICommandGate
{
    /// <summary>Test-only: comma-separated command names (or tags) this member leaves out of its advertisement.</summary>
    public const string HideCommandsVariable = "KVDB_TEST_HIDE_COMMANDS";

    private readonly LocalState state;
    private readonly CommandRegistry registry;
    private readonly MachineSubscription subscription;
    private readonly Lock computing = new();
    private volatile ClusterVersion? current;

    /// <summary>Creates the gate for this member's state and command registry.</summary>
    public ClusterVersionGate(LocalState state, CommandRegistry registry)
    {
        this.state = state;
        this.registry = registry;
        Own = OwnRelease(registry, Environment.GetEnvironmentVariable(HideCommandsVariable));
        subscription = state.Subscribe(machine =>
        {
            machine.MembersChanged += Invalidate;

            // A state machine opened after the first answer (a restore) starts from its own store.
            if (current is not null)
                Invalidate();
        });
    }

    /// <summary>What this member advertises: its release and the command tags it can apply.</summary>
    public MemberRelease Own { get; }

    /// <summary>The cluster version as this member's applied state has it.</summary>
    public ClusterVersion Current
    {
        get
        {
            subscription.Ensure();
            return current ?? Recompute();
        }
    }

    /// <summary>Why commands of <paramref name="handler"/>'s kind may not be proposed now, or null when every member can apply them.</summary>
    /// <returns>A <see cref="FeatureUnavailableException"/> naming the members that cannot apply it, or an <see cref="UnavailableException"/> while this member is starting.</returns>
    public UnavailableException? RefusalOf(CommandHandler handler)
    {
        var version = Current;
        return version.Allows(handler.Tag) ? null : Refusal(handler, version);
    }

    private UnavailableException Refusal(CommandHandler handler, ClusterVersion version)
    {
        if (!state.IsStarted)
            return new UnavailableException($"This member is starting and does not know yet whether every member can apply {handler.LogName}; retry shortly.");
        var lacking = version.Lacking(handler.Tag);
        var who = lacking.Count == 0 ? "no member list is recorded yet" : $"member(s) {string.Join(", ", lacking)} cannot apply it (an earlier release, or not advertised yet)";
        return new FeatureUnavailableException(handler.LogName, lacking, version.Version,
            $"{handler.LogName} is not available in this cluster yet: {who}; the cluster version is {version.Version}. Upgrade every member, then retry.");
    }

    /// <summary>This build's advertisement, without the command names or tags in <paramref name="hidden"/> (comma-separated).</summary>
    public static MemberRelease OwnRelease(CommandRegistry registry, string? hidden)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var names = (hidden ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return MemberRelease.Of(CommandLine.Version, registry.Handlers
            .Where(h => !names.Contains(h.LogName) && !names.Contains(h.Tag.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .Select(static h => h.Tag));
    }

    // On the applier's thread: the store is read elsewhere (a read right after a snapshot install
    // can stall the member, see KvStateMachine), and the old answer serves meanwhile.
    private void Invalidate() => ThreadPool.QueueUserWorkItem(static gate => gate.Recompute(), this, preferLocal: false);

    // Serialised, so a slower computation of an older state never replaces a newer one.
    private ClusterVersion Recompute()
    {
        if (!state.IsStarted)
            return ClusterVersion.Unknown;
        lock (computing)
        {
            using var view = state.Store.OpenView();
            var releases = MemberRelease.ReadAll(view);
            var members = MembershipMap.Read(view).ToDictionary(static m => m.Key, m => releases.GetValueOrDefault(m.Key));
            var computed = ClusterVersion.Compute(members, registry);
            current = computed;
            return computed;
        }
    }
}
