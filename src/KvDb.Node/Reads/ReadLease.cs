// The leader's read lease: how long after a majority acknowledged a round that began at T this
// leader may serve linearizable reads without another round.
// Invariants:
//  - A follower refuses to vote for another candidate until a whole election timeout (at least
//    --election-timeout on its clock) has passed since it last heard from the leader (DotNext's
//    VoteAsync), and it heard the round after T. A lease of --election-timeout / ClockDriftBound
//    from T therefore ends before any acknowledging member can help elect another leader, as long
//    as no member's clock runs more than ClockDriftBound times faster than the leader's.
//  - A lease belongs to one term: renewing it in a term, or asking about another, never
//    vouches for a different leadership.
//  - A restarted member forgets when it last heard from the leader, so RaftNode holds its start
//    back by one election timeout (see RaftNode.HoldBackForReadLeaseAsync).
//  - Times are Stopwatch timestamps (CLOCK_MONOTONIC): a wall-clock step does not move them.
namespace KvDb.Node.Reads;

/// <summary>The leader's read lease, renewed by every confirmed heartbeat round.</summary>
public sealed class ReadLease(TimeSpan duration)
{
    /// <summary>How much faster than the leader's any member's clock may run: a lease is 1/1.25 = 80% of the election timeout.</summary>
    public const double ClockDriftBound = 1.25;

    private readonly long durationTicks = (long)(duration.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
    private Held held = new(-1, long.MinValue);

    /// <summary>The lease for a member with this election timeout (lower bound, milliseconds).</summary>
    public static TimeSpan DurationFor(int electionTimeoutMs) => TimeSpan.FromMilliseconds(electionTimeoutMs / ClockDriftBound);

    /// <summary>Records that a round begun at <paramref name="roundStart"/> in <paramref name="term"/> was acknowledged by a majority.</summary>
    public void Renew(long term, long roundStart)
    {
        if (durationTicks <= 0)
            return;

        var renewed = new Held(term, roundStart + durationTicks);
        for (var current = Volatile.Read(ref held); renewed.Term > current.Term || (renewed.Term == current.Term && renewed.Until > current.Until);)
        {
            var seen = Interlocked.CompareExchange(ref held, renewed, current);
            if (seen == current)
                return;
            current = seen;
        }
    }

    /// <summary>True when a lease of <paramref name="term"/> is held at <paramref name="now"/>.</summary>
    public bool IsHeld(long term, long now)
    {
        var current = Volatile.Read(ref held);
        return current.Term == term && now < current.Until;
    }

    private sealed record Held(long Term, long Until);
}
