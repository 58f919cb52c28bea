// Whether this member should receive client traffic (GET /readyz): it is running, it is a
// voting member, it knows a leader, and it has applied what it knows to be committed.
// Invariants:
//  - Checks run in that order and the first that fails is the reason; every reason is a
//    sentence an operator can act on ("no leader", "applying: 120 of 450 committed entries").
//  - Apply lag: the check reads the commit index, then gives the applier up to ApplyGrace to
//    reach it. Under a steady write load the applier trails the commit index by an entry or
//    two for microseconds, which must not flap readiness; a member that is really behind
//    (replaying, installing a snapshot, a slow state machine) stays behind for longer.
//  - "Committed" is what this member knows: a follower learns the commit index from the
//    leader's heartbeats, so a follower still receiving a backlog of entries from the leader
//    is ready as soon as it has applied what has reached it (reads stay linearizable there
//    anyway: they wait for the leader's read index).
//  - The check never blocks for longer than ApplyGrace and never throws.

using KvDb.Node.Hosting;
using KvDb.Node.Raft;
using Microsoft.Extensions.Options;

namespace KvDb.Node.Observability;

/// <summary>The outcome of a readiness check.</summary>
/// <param name="IsReady">True when the member should receive traffic.</param>
/// <param name="Reason">"ready", or why not, in words.</param>
/// <param name="Code">A stable identifier of the reason, for tooling: ready, starting, joining, removed, no-leader, applying.</param>
public sealed record Readiness(bool IsReady, string Reason, string Code);

/// <summary>What readiness is decided from, observed on the live member.</summary>
/// <param name="Removed">The member applied its own removal and is shutting down.</param>
/// <param name="Started">The Raft member has started (log replayed, transport listening).</param>
/// <param name="Voter">The member is in the Raft configuration.</param>
/// <param name="Join">The member was started with --join.</param>
/// <param name="HasLeader">The member knows a leader, itself included.</param>
/// <param name="Applied">The member's applied index (after the grace period, when it was behind).</param>
/// <param name="Committed">The commit index the member knew when the check began.</param>
public readonly record struct ReadinessFacts(bool Removed, bool Started, bool Voter, bool Join, bool HasLeader, long Applied, long Committed);

/// <summary>Evaluates readiness against the live Raft member.</summary>
public sealed class ReadinessCheck(IRaftMembership node, LocalState state, IOptions<MemberOptions> member)
{
    /// <summary>How long the applier may take to reach the commit index seen at the start of a check.</summary>
    public static readonly TimeSpan ApplyGrace = TimeSpan.FromMilliseconds(250);

    /// <summary>Evaluates readiness now; waits at most <see cref="ApplyGrace"/>.</summary>
    public async Task<Readiness> EvaluateAsync(CancellationToken token)
    {
        var facts = Observe();
        var readiness = Decide(facts);
        if (readiness.Code is "applying" && await CatchesUpAsync(facts.Committed, token).ConfigureAwait(false))
            readiness = Decide(facts with { Applied = state.AppliedIndex });
        return readiness;
    }

    /// <summary>The readiness that <paramref name="facts"/> imply; the first failing check is the reason.</summary>
    public static Readiness Decide(in ReadinessFacts facts)
    {
        if (facts.Removed)
            return new(false, "removed from the cluster: this member is shutting down", "removed");
        if (!facts.Started)
            return new(false, "starting: replaying the log", "starting");
        if (!facts.Voter)
        {
            return facts.Join
                ? new(false, "waiting to be added to a cluster (--join)", "joining")
                : new(false, "not in the Raft configuration: waiting for the leader to add this member", "joining");
        }

        if (!facts.HasLeader)
            return new(false, "no leader: an election is under way or a majority of members is unreachable", "no-leader");
        if (facts.Applied < facts.Committed)
            return new(false, $"applying: {facts.Applied} of {facts.Committed} committed entries", "applying");
        return new(true, "ready", "ready");
    }

    private ReadinessFacts Observe()
    {
        var started = node.IsStarted;

        // Commit index first: an entry committed before the check began must be applied.
        var committed = started ? state.Log.LastCommittedEntryIndex : 0L;
        return new ReadinessFacts(
            Removed: node.WasRemoved,
            Started: started,
            Voter: started && RaftRole.IsVoter(node),
            Join: member.Value.Join,
            HasLeader: started && node.Cluster.Leader is not null,
            Applied: started ? state.AppliedIndex : 0L,
            Committed: committed);
    }

    private async Task<bool> CatchesUpAsync(long committed, CancellationToken token)
    {
        using var grace = CancellationTokenSource.CreateLinkedTokenSource(token);
        grace.CancelAfter(ApplyGrace);
        try
        {
            await state.Log.WaitForApplyAsync(committed, grace.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (ObjectDisposedException)
        {
            // The member is stopping.
            return false;
        }
    }
}
