// A write refused because a member of the cluster cannot apply its kind of command (see
// ClusterVersionGate). It is an UnavailableException, so the write path's background proposers
// (S2 retention, lease keepers) wait and retry as they do without a leader; clients get 409.
using KvDb.Node.Raft;

namespace KvDb.Node.Writes;

/// <summary>A command kind not every member can apply yet; nothing was proposed. Becomes 409 naming the feature and the members.</summary>
/// <param name="feature">The command kind's name (its /v1/log name, <c>StreamAppend</c>).</param>
/// <param name="members">The ids of the members that cannot apply it.</param>
/// <param name="clusterVersion">The cluster's version (its lowest member release).</param>
/// <param name="reason">The detail for the client.</param>
public sealed class FeatureUnavailableException(string feature, IReadOnlyList<int> members, string clusterVersion, string reason)
    : UnavailableException(reason)
{
    /// <summary>The command kind's name.</summary>
    public string Feature { get; } = feature;

    /// <summary>The members that cannot apply it, by id.</summary>
    public IReadOnlyList<int> Members { get; } = members;

    /// <summary>The cluster's version when the write was refused.</summary>
    public string ClusterVersion { get; } = clusterVersion;
}
