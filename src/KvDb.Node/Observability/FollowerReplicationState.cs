// Reads the leader's per-follower replication index out of DotNext, for the follower lag
// series. DotNext keeps it as IRaftClusterMember.State.NextIndex, a protected internal
// member, so it is read by reflection; nothing else in kvdb depends on this.
// Invariants:
//  - Read-only: the field is read, never written; a torn read is impossible (an aligned
//    long on a 64-bit runtime) and a stale one only makes a lag figure a moment old.
//  - Meaningful on the leader only: DotNext updates NextIndex from the leader's replication
//    loop. After every acknowledged AppendEntries it is (last index the follower matched) + 1;
//    right after an election DotNext sets it optimistically to (leader's last index) + 1, so a
//    follower that is far behind reads as caught up until its first rejected append.
//  - If a DotNext upgrade renames or reshapes the field, MatchedIndex answers null and the lag
//    series disappear (reachability stays); the cluster tests notice.
using System.Collections.Concurrent;
using System.Reflection;
using DotNext.Net.Cluster.Consensus.Raft;

namespace KvDb.Node.Observability;

/// <summary>The leader's view of how far each follower has replicated, read from DotNext.</summary>
public static class FollowerReplicationState
{
    private static readonly ConcurrentDictionary<Type, (FieldInfo State, FieldInfo NextIndex)?> Fields = new();

    /// <summary>
    /// The highest log index the leader knows <paramref name="member"/> has matched
    /// (DotNext's next index − 1), or null when it cannot be read.
    /// </summary>
    public static long? MatchedIndex(IRaftClusterMember member)
    {
        if (Fields.GetOrAdd(member.GetType(), FindFields) is not var (state, nextIndex))
            return null;

        // GetValue boxes a copy of the struct; the second GetValue reads the copy.
        var boxedState = state.GetValue(member);
        return boxedState is null || nextIndex.GetValue(boxedState) is not long next ? null : long.Max(0L, next - 1L);
    }

    private static (FieldInfo, FieldInfo)? FindFields(Type memberType)
    {
        // Look the field up by type, not by name: the struct is IRaftClusterMember.ReplicationState.
        const BindingFlags instance = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;
        var state = Hierarchy(memberType)
            .SelectMany(static t => t.GetFields(instance | BindingFlags.DeclaredOnly))
            .FirstOrDefault(static f => f.FieldType is { IsValueType: true, Name: "ReplicationState" } && f.FieldType.DeclaringType == typeof(IRaftClusterMember));
        var nextIndex = state?.FieldType.GetField("NextIndex", instance);
        return state is not null && nextIndex?.FieldType == typeof(long) ? (state, nextIndex) : null;
    }

    private static IEnumerable<Type> Hierarchy(Type? type)
    {
        for (; type is not null; type = type.BaseType)
            yield return type;
    }
}
