// Whether this member's process is alive and not wedged (GET /livez), for an orchestrator's
// liveness probe: a member that fails it should be restarted, so it fails only for what a
// restart can fix.
// Invariants:
//  - The HTTP server makes progress: answering at all proves it (a wedged server answers nothing,
//    and the probe's own timeout reports that).
//  - The apply loop makes progress: it is wedged only when committed entries wait and the
//    applied index has not moved for StallAfter. Nothing to apply (a quiet cluster, or a member
//    without a leader or quorum) is live: those are readiness's business (/readyz), and a
//    restart would not bring a majority back.
//  - Progress is judged across probes (ApplyProgress remembers where the applier stood and
//    since when), so a check never waits and never throws; the first probe after a stall
//    began only starts the clock.
//  - A snapshot install or a write stall that keeps one entry from applying for longer than
//    StallAfter counts as wedged; StallAfter is generous for that reason.
using KvDb.Node.Raft;

namespace KvDb.Node.Observability;

/// <summary>The outcome of a liveness check.</summary>
/// <param name="IsLive">False when the process should be restarted.</param>
/// <param name="Reason">"live", or what is wedged, in words.</param>
/// <param name="Code">A stable identifier: live, apply-stalled.</param>
public sealed record Liveness(bool IsLive, string Reason, string Code);

/// <summary>Tracks whether the applier moves, from one observation to the next.</summary>
public sealed class ApplyProgress
{
    private readonly Lock gate = new();
    private long stalledAt = -1;
    private long stalledSince;

    /// <summary>
    /// Records that <paramref name="applied"/> of <paramref name="committed"/> entries were applied at
    /// <paramref name="now"/>, and answers for how long the applier has stood still with entries
    /// waiting (zero when it has nothing to do or moved since the last observation).
    /// </summary>
    public TimeSpan Observe(long applied, long committed, TimeSpan now)
    {
        lock (gate)
        {
            if (applied >= committed)
            {
                stalledAt = -1;
                return TimeSpan.Zero;
            }

            if (applied != stalledAt)
            {
                stalledAt = applied;
                stalledSince = now.Ticks;
                return TimeSpan.Zero;
            }

            return now - TimeSpan.FromTicks(stalledSince);
        }
    }
}

/// <summary>Evaluates liveness against the live Raft member.</summary>
public sealed class LivenessCheck(IRaftMembership node, LocalState state, TimeProvider time)
{
    /// <summary>How long the applier may stand still while committed entries wait before the member counts as wedged.</summary>
    public static readonly TimeSpan StallAfter = TimeSpan.FromMinutes(2);

    private readonly ApplyProgress progress = new();
    private readonly long origin = time.GetTimestamp();

    /// <summary>Evaluates liveness now, without waiting.</summary>
    public Liveness Evaluate()
    {
        var started = node.IsStarted;

        // Commit index first: the applier only ever moves towards it.
        var committed = started ? state.Log.LastCommittedEntryIndex : 0L;
        var applied = started ? state.AppliedIndex : 0L;
        return Decide(applied, committed, progress.Observe(applied, committed, time.GetElapsedTime(origin)), StallAfter);
    }

    /// <summary>The liveness that the applier's position and how long it has stood still imply.</summary>
    public static Liveness Decide(long applied, long committed, TimeSpan stalledFor, TimeSpan stallAfter)
        => stalledFor >= stallAfter
            ? new(false, $"the apply loop is wedged: it has applied nothing for {(int)stalledFor.TotalSeconds} s, stuck at entry {applied} of {committed} committed", "apply-stalled")
            : new(true, "live", "live");
}
