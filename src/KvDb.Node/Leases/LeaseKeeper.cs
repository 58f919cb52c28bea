// The leader's lease clock: decides when leases expire, by this member's monotonic clock, and
// proposes their revocation through Raft, so every member deletes the same keys at the same
// point of the log and no member ever compares wall clocks.
// Invariants:
//  - Only the leader keeps deadlines. When a member becomes leader it gives every lease its full
//    TTL from that moment, so an election never makes a lease expire early; at worst a lease
//    lives its TTL past its last keep-alive plus the time the cluster took to elect each new
//    leader before it (see docs/api/leases.md).
//  - A keep-alive reaches the leader (followers forward it) and sets the deadline to now + TTL.
//  - A lease whose revocation is in flight is not proposed again until that proposal ends.
using KvDb.Core.Leases;
using KvDb.Node.Observability;
using KvDb.Node.Raft;
using KvDb.Node.Writes;

namespace KvDb.Node.Leases;

/// <summary>Expires leases on the leader.</summary>
public sealed partial class LeaseKeeper(LocalState state, IConsensus consensus, IProposer proposer, ILogger<LeaseKeeper> logger) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(200);

    private readonly Lock gate = new();
    private readonly Dictionary<long, long> deadlines = [];
    private readonly HashSet<long> revoking = [];
    private long leadingTerm = -1;
    private long seenVersion = -1;

    /// <summary>Whether this member keeps the lease clock now (it leads and has synced the table).</summary>
    public bool IsKeeping
    {
        get { lock (gate) return leadingTerm >= 0; }
    }

    /// <summary>On the leader: restarts lease <paramref name="id"/>'s TTL. Null when the lease does not exist; throws when this member does not lead.</summary>
    /// <exception cref="UnavailableException">This member does not keep the lease clock.</exception>
    public LeaseTime? KeepAlive(long id) => Observe(id, renew: true);

    /// <summary>On the leader: the time lease <paramref name="id"/> has left. Null when the lease does not exist.</summary>
    /// <exception cref="UnavailableException">This member does not keep the lease clock.</exception>
    public LeaseTime? Remaining(long id) => Observe(id, renew: false);

    private LeaseTime? Observe(long id, bool renew)
    {
        lock (gate)
        {
            Sync();
            if (leadingTerm < 0)
                throw new UnavailableException("This member no longer leads; retry.");
            if (!state.Leases.TryGet(id, out var lease) || !deadlines.TryGetValue(id, out var deadline))
                return null;
            var now = NowMs();
            if (renew)
                deadlines[id] = deadline = now + lease.TtlMs;
            return new LeaseTime(lease.TtlMs, Math.Max(0, deadline - now));
        }
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LeaseInstruments.LiveLeases = () => state.IsStarted ? state.Leases.Count : 0;
        using var timer = new PeriodicTimer(Tick);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                List<long> expired;
                lock (gate)
                {
                    Sync();
                    expired = leadingTerm < 0 ? [] : Expired();
                }

                foreach (var id in expired)
                    _ = RevokeAsync(id, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    // Follows leadership and the lease table; the caller holds the gate.
    private void Sync()
    {
        var leads = state.IsStarted && consensus.Leader is { IsThisMember: true };
        if (!leads)
        {
            leadingTerm = -1;
            deadlines.Clear();
            return;
        }

        var table = state.Leases;
        var term = consensus.LeadershipStart.Term;
        var now = NowMs();
        if (term != leadingTerm)
        {
            // A new leader does not know when its predecessor last heard from each client: every
            // lease gets its whole TTL from now.
            deadlines.Clear();
            foreach (var lease in table.All())
                deadlines[lease.Id] = now + lease.TtlMs;
            leadingTerm = term;
            seenVersion = table.Version;
            return;
        }

        if (table.Version == seenVersion)
            return;
        seenVersion = table.Version;
        var alive = table.All().ToDictionary(static l => l.Id);
        foreach (var id in deadlines.Keys.Where(id => !alive.ContainsKey(id)).ToList())
            deadlines.Remove(id);
        foreach (var lease in alive.Values)
            deadlines.TryAdd(lease.Id, now + lease.TtlMs);
    }

    private List<long> Expired()
    {
        var now = NowMs();
        var expired = new List<long>();
        foreach (var (id, deadline) in deadlines)
        {
            if (deadline <= now && revoking.Add(id))
                expired.Add(id);
        }

        return expired;
    }

    private async Task RevokeAsync(long id, CancellationToken token)
    {
        try
        {
            var result = await proposer.ProposeAsync(new RevokeLeaseCommand { Id = id, Expired = true }, mayForward: false, token).ConfigureAwait(false);
            if (result.Outcome is Core.Commands.CommandOutcome.Applied)
            {
                LeaseInstruments.LeasesExpired.Add(1);
                LogExpired(id);
            }
        }
        catch (Exception e) when (e is UnavailableException or OperationCanceledException)
        {
            // Not leading any more, or stopping: the next leader restarts the clock.
        }
        finally
        {
            lock (gate)
                revoking.Remove(id);
        }
    }

    private static long NowMs() => Environment.TickCount64;

    [LoggerMessage(Level = LogLevel.Information, Message = "Lease {Id} expired; its keys were deleted")]
    private partial void LogExpired(long id);
}

/// <summary>A lease's time to live and what is left of it, in milliseconds.</summary>
/// <param name="TtlMs">The lease's TTL.</param>
/// <param name="RemainingMs">Until it expires, by the leader's clock.</param>
public readonly record struct LeaseTime(long TtlMs, long RemainingMs);
