// The one place that names a member's Raft role for operators (/v1/status, /metrics), in the
// vocabulary of GET /v1/members: leader, follower, joining.
// Invariants: "follower" includes a member that knows no leader right now (DotNext does not
// expose the candidate state); "joining" is a running member outside the Raft configuration
// (started with --join and not added yet); "starting" only before the Raft member has started.

using KvDb.Node.Raft;

namespace KvDb.Node.Observability;

/// <summary>Names this member's Raft role.</summary>
public static class RaftRole
{
    /// <summary>This member leads.</summary>
    public const string Leader = "leader";

    /// <summary>This member votes and follows a leader, or waits for one to be elected.</summary>
    public const string Follower = "follower";

    /// <summary>This member runs but is not in the Raft configuration yet.</summary>
    public const string Joining = "joining";

    /// <summary>The Raft member has not started yet.</summary>
    public const string Starting = "starting";

    /// <summary>The role of <paramref name="node"/> right now.</summary>
    public static string Of(IRaftMembership node)
    {
        if (!node.IsStarted)
            return Starting;

        var cluster = node.Cluster;
        if (!IsVoter(node))
            return Joining;
        return cluster.Leader is { IsRemote: false } ? Leader : Follower;
    }

    /// <summary>True when this member is in the Raft configuration; the member must have started.</summary>
    public static bool IsVoter(IRaftMembership node) => node.Cluster.Members.Any(static m => !m.IsRemote);
}
