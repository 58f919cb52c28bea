// Writes this member's release and command kinds (ClusterVersionGate.Own) into the replicated
// state, so the cluster version counts it as what it is rather than as the oldest release.
// Invariants:
//  - Advertises only while this member is in the membership map under its own id and URL, and
//    only when its record differs from what it can apply: at start, after an upgrade, after a
//    snapshot from a member of an earlier release replaced the record, after KVDB_TEST_HIDE_COMMANDS
//    changed.
//  - Advertises through BootstrapMembersCommand's release fields, which releases before cluster
//    versions apply as a no-op (members are recorded), so it is safe while they still run. A
//    leader of such a release drops the fields when it re-encodes a forwarded command; the
//    record stays missing, and this member tries again later, backing off up to MaxBackoff,
//    and at once when leadership moves.
using KvDb.Core.Commands;
using KvDb.Core.Membership;
using KvDb.Core.State;
using KvDb.Node.Raft;
using KvDb.Node.Writes;
using Microsoft.Extensions.Options;

namespace KvDb.Node.Membership;

/// <summary>Keeps this member's advertised release current in the replicated state.</summary>
public sealed partial class ReleaseAdvertiser(
    IRaftMembership node,
    LocalState state,
    IProposer proposer,
    ClusterVersionGate gate,
    IOptions<MemberOptions> member,
    ILogger<ReleaseAdvertiser> logger) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim wake = new(0, 1);
    private TimeSpan backoff = FirstBackoff;

    // UTC ticks before which no advertisement is tried again; reset when leadership moves.
    private long notBeforeTicks;

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await node.Started.WaitAsync(stoppingToken).ConfigureAwait(false);
        state.Subscribe(machine => machine.MembersChanged += Wake).Ensure();
        node.Cluster.LeaderChanged += (_, _) =>
        {
            // A new leader may be of this release and keep the record: try at once.
            Interlocked.Exchange(ref notBeforeTicks, 0);
            Wake();
        };

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await AdvertiseIfStaleAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // No leader, leadership moved, or the member is stopping: the next round retries.
                LogRoundFailed(e.Message);
                Interlocked.Exchange(ref notBeforeTicks, (DateTimeOffset.UtcNow + Period).UtcTicks);
            }

            await wake.WaitAsync(Period, stoppingToken).ConfigureAwait(false);
        }
    }

    private void Wake()
    {
        try
        {
            wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled.
        }
    }

    private async Task AdvertiseIfStaleAsync(CancellationToken token)
    {
        var own = gate.Own;
        var id = member.Value.Id;
        var members = node.Members();
        if (node.Cluster.Leader is null || !members.TryGetValue(id, out var url) || !string.Equals(url, member.Value.PeerUrl, StringComparison.Ordinal)
            || own.SameAs(Recorded(id)) || DateTimeOffset.UtcNow.UtcTicks < Interlocked.Read(ref notBeforeTicks))
            return;

        var command = new BootstrapMembersCommand { PeerUrls = [.. members.Values], ReleaseOf = id, Release = own.Release, Commands = [.. own.Commands] };
        await proposer.ProposeAsync(command, mayForward: true, token).ConfigureAwait(false);
        if (own.SameAs(Recorded(id)))
        {
            LogAdvertised(id, own.Release, own.Commands.Count);
            backoff = FirstBackoff;
            return;
        }

        LogNotRecorded(id, backoff);
        Interlocked.Exchange(ref notBeforeTicks, (DateTimeOffset.UtcNow + backoff).UtcTicks);
        backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
    }

    // Read from the store, not the gate: the gate recomputes a moment after the entry applies.
    private MemberRelease? Recorded(int id)
    {
        using var view = state.Store.OpenView();
        return MemberRelease.ReadAll(view).GetValueOrDefault(id);
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        wake.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {Id} advertised release {Release} with {Count} command kinds")]
    private partial void LogAdvertised(int id, string release, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {Id}'s release is still not recorded (a leader of an earlier release drops it); trying again in {Backoff}")]
    private partial void LogNotRecorded(int id, TimeSpan backoff);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Advertising this member's release failed, will retry: {Reason}")]
    private partial void LogRoundFailed(string reason);
}
