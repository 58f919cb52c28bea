// The cluster version: the lowest release among the members, and the command kinds every member
// can apply. A command kind some member cannot apply must not reach the log: that member would
// stop applying for good at the entry (an unknown union tag), so the write path refuses it first.
// Invariants:
//  - Computed from the replicated membership map and MemberRelease records alone, so every member
//    that applied the same entries computes the same answer (the leader's check is local).
//  - A member without a record (one of a release before cluster versions, or one that has not
//    advertised itself yet) counts as the oldest: BaselineRelease with BaselineCommands.
//  - A command kind is usable only when this build registered it and every member of the map
//    advertised it. Learners, once there are any, apply the log too and so count as well.
//  - Immutable: the write path reads one instance without locks; a change makes a new one.
using System.Collections.Frozen;
using KvDb.Core.Commands;

namespace KvDb.Core.Membership;

/// <summary>What the cluster as a whole can apply: its version and the usable command kinds.</summary>
public sealed class ClusterVersion
{
    /// <summary>The release members without a <see cref="MemberRelease"/> record count as (the version of commit d1e20ae).</summary>
    public const string BaselineRelease = "0.1.0";

    /// <summary>
    /// The command tags members without a record can apply: those of commit d1e20ae, the last
    /// release before cluster versions that rolling upgrades start from
    /// (<c>git show d1e20ae:src/KvDb.Core/Commands/KvCommand.cs</c>: <c>[Union(0..16)]</c>, Put through
    /// Append). Never changes: it describes releases that are already out.
    /// </summary>
    public static readonly FrozenSet<int> BaselineCommands = Enumerable.Range(0, 17).ToFrozenSet();

    private static readonly MemberRelease Baseline = MemberRelease.Of(BaselineRelease, BaselineCommands);

    // usable[tag]: every member can apply it (a flat array, so the write path's check is one load).
    private readonly bool[] usable;
    private readonly FrozenDictionary<int, int[]> lacking;

    private ClusterVersion(string version, IReadOnlyDictionary<int, MemberRelease?> members, bool[] usable, FrozenDictionary<int, int[]> lacking)
    {
        Version = version;
        Members = members;
        this.usable = usable;
        this.lacking = lacking;
    }

    /// <summary>Before the membership map is known: only the baseline command kinds.</summary>
    public static ClusterVersion Unknown { get; } = Compute(new Dictionary<int, MemberRelease?>(), CommandRegistry.Default);

    /// <summary>The lowest release among the members.</summary>
    public string Version { get; }

    /// <summary>Each member's advertised release, by id; null for a member without a record (counted as <see cref="BaselineRelease"/>).</summary>
    public IReadOnlyDictionary<int, MemberRelease?> Members { get; }

    /// <summary>Whether every member can apply commands of <paramref name="tag"/>.</summary>
    public bool Allows(int tag) => (uint)tag < (uint)usable.Length && usable[tag];

    /// <summary>The members that cannot apply commands of <paramref name="tag"/>, by id (empty when all can, or when the map is not known yet).</summary>
    public IReadOnlyList<int> Lacking(int tag) => lacking.TryGetValue(tag, out var ids) ? ids : [];

    /// <summary>The command tags this build registered that some member cannot apply, ascending.</summary>
    public IEnumerable<int> Unusable => lacking.Keys.Order();

    /// <summary>Computes the cluster version of the members in <paramref name="members"/> (id → advertised release or null) for a build with <paramref name="registry"/>.</summary>
    public static ClusterVersion Compute(IReadOnlyDictionary<int, MemberRelease?> members, CommandRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(registry);
        var tags = registry.Handlers.Select(static h => h.Tag).ToList();
        var usable = new bool[tags.Count == 0 ? 0 : tags.Max() + 1];
        var lacking = new Dictionary<int, int[]>();
        var effective = members.Count == 0
            ? [new KeyValuePair<int, MemberRelease>(0, Baseline)]
            : members.Select(static m => new KeyValuePair<int, MemberRelease>(m.Key, m.Value ?? Baseline)).ToList();
        foreach (var tag in tags)
        {
            var without = effective.Where(m => !m.Value.Commands.Contains(tag)).Select(static m => m.Key).Where(static id => id > 0).ToArray();
            usable[tag] = without.Length == 0 && (members.Count > 0 || BaselineCommands.Contains(tag));
            if (!usable[tag])
                lacking[tag] = without;
        }

        var lowest = effective.Select(static m => m.Value.Release).MinBy(ReleaseOrder) ?? BaselineRelease;
        return new(lowest, members, usable, lacking.ToFrozenDictionary());
    }

    /// <summary>Orders releases by their numeric parts (<c>0.10.0</c> after <c>0.9.1</c>); a release that is not a version sorts first.</summary>
    public static Version ReleaseOrder(string release)
        => System.Version.TryParse(release, out var parsed) ? parsed : new Version(0, 0);
}
