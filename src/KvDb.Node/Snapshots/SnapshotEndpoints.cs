// The peer endpoint a member installing one of this member's snapshots fetches its archive at.
// Invariant: it streams exactly the flush point asked for, or answers 410 once that flush
// point is no longer published (the installer asks the leader again).
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using KvDb.Node.Raft;

namespace KvDb.Node.Snapshots;

/// <summary>Maps the snapshot archive endpoint (peer port only).</summary>
public static class SnapshotEndpoints
{
    /// <summary>Maps <c>GET /internal/v1/snapshots/{index}</c>.</summary>
    public static void MapSnapshotEndpoints(this IEndpointRouteBuilder app)
        => app.MapGet(SnapshotTransfer.PathPrefix + "{index:long}", Archive).PeerOnly().Allow(AccessRule.Peer);

    private static IResult Archive(long index, LocalState state, HttpContext context)
        => state.OpenSnapshotArchive(index, context.RequestAborted) is { } archive
            ? Results.Stream(archive, "application/octet-stream")
            : Problems.Of(StatusCodes.Status410Gone, "Snapshot gone", $"The snapshot at index {index} is no longer published here; ask the leader again.");
}
