// Acknowledges a snapshot the leader sends again after this member has already installed it.
// Why: DotNext 6.12 refuses an InstallSnapshot whose index is not beyond the member's commit
// index (RaftCluster.InstallSnapshotAsync), and its leader answers that refusal by sending the
// same snapshot again (ReplicationProcess lowers NextIndex to at most the snapshot's index). When
// the leader misses the answer to an install that succeeded (its request timed out while the
// member swapped its state in, as happens on a loaded machine), the two loop: the leader never
// sends the entries after the snapshot, and the member, hearing no heartbeat, keeps calling
// elections it cannot win, until the leader publishes a newer snapshot or loses leadership.
// Raft's InstallSnapshot rule is to acknowledge a snapshot the follower's log already covers;
// this answers that case as DotNext answers a successful install, before DotNext sees it.
// Invariants:
//  - Only an InstallSnapshot from a sender whose term is at least this member's, for an index at
//    or below this member's commit index, is answered here; every other message goes to DotNext.
//  - The answer claims only what is true: every entry through that index is committed here, and
//    committed entries are the same on every member, so the leader may send the ones after it.
//    It says Replicated, never ReplicatedWithLeaderTerm, so the leader counts it towards no commit.
//  - The wire format is DotNext.AspNetCore.Cluster 6.12's (X-Raft-Message-Type, X-Raft-Term,
//    X-Raft-Snapshot-Index; the answer is 200 with X-Raft-Term and the HeartbeatResult's name).
//    FaultToleranceTests.A_snapshot_install_whose_answer_the_leader_missed_does_not_stall_the_member
//    fails if a DotNext upgrade changes it.
using System.Globalization;
using DotNext.Net.Cluster.Consensus.Raft;

namespace KvDb.Node.Raft;

/// <summary>Answers a repeated InstallSnapshot for a snapshot this member's log already covers.</summary>
public static partial class CoveredSnapshotAnswer
{
    /// <summary>Answers covered snapshots on the peer pipeline; call before DotNext's protocol handler.</summary>
    public static IApplicationBuilder UseCoveredSnapshotAnswer(this IApplicationBuilder peer)
    {
        var log = peer.ApplicationServices.GetRequiredService<IPersistentState>();
        var logger = peer.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(CoveredSnapshotAnswer).FullName!);
        return peer.Use((context, next) => Covers(context.Request, log, out var index) ? AnswerAsync(context, log, index, logger) : next(context));
    }

    private static bool Covers(HttpRequest request, IPersistentState log, out long index)
    {
        index = 0;
        return HttpMethods.IsPost(request.Method)
            && string.Equals(request.Headers["X-Raft-Message-Type"], "InstallSnapshot", StringComparison.Ordinal)
            && long.TryParse(request.Headers["X-Raft-Term"], NumberStyles.None, CultureInfo.InvariantCulture, out var senderTerm)
            && long.TryParse(request.Headers["X-Raft-Snapshot-Index"], NumberStyles.None, CultureInfo.InvariantCulture, out index)
            && senderTerm >= log.Term
            && index <= log.LastCommittedEntryIndex;
    }

    private static async Task AnswerAsync(HttpContext context, IPersistentState log, long index, ILogger logger)
    {
        // The body (configuration and the snapshot's descriptor) is small; reading it keeps the connection reusable.
        await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted).ConfigureAwait(false);
        LogAnswered(logger, index, log.LastCommittedEntryIndex);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.Headers["X-Raft-Term"] = log.Term.ToString(CultureInfo.InvariantCulture);
        await context.Response.WriteAsync(nameof(HeartbeatResult.Replicated), context.RequestAborted).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The leader sent again the snapshot at index {Index}, which this member already holds (committed through {Committed}); acknowledged it, so the leader goes on from there")]
    private static partial void LogAnswered(ILogger logger, long index, long committed);
}
