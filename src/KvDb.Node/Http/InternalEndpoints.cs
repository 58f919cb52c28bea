// Member-to-member endpoints, on the peer port only (PeerPort). Followers forward client writes here; the
// leader proposes them (never forwarding again) and answers with per-command results.
// Followers also ask the leader for read indices here (ReadIndex for linearizable reads).
using DotNext.Net.Cluster.Consensus.Raft;
using KvDb.Core.Commands;
using KvDb.Node.Configuration;
using KvDb.Node.Operations;
using KvDb.Node.Raft;

namespace KvDb.Node.Http;

/// <summary>Maps the endpoints other members call.</summary>
public static class InternalEndpoints
{
    /// <summary>Maps <see cref="LeaderForwarder.ProposePath"/>.</summary>
    public static void MapInternalEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost(LeaderForwarder.ProposePath, ProposeAsync).PeerOnly();
        app.MapPost(LeaderForwarder.ReadIndexPath, ReadIndexAsync).PeerOnly();
        app.MapGet(SnapshotTransfer.PathPrefix + "{index:long}", SnapshotArchive).PeerOnly();
    }

    // A member installing one of this member's snapshots fetches its archive here.
    private static IResult SnapshotArchive(long index, RaftNode node, HttpContext context)
        => node.StateMachine.OpenSnapshotArchive(index, context.RequestAborted) is { } archive
            ? Results.Stream(archive, "application/octet-stream")
            : Problems.Of(StatusCodes.Status410Gone, "Snapshot gone", $"The snapshot at index {index} is no longer published here; ask the leader again.");

    private static bool IsWithinLimits(KvCommand command, NodeOptions options) => command switch
    {
        PutCommand put => IsValidKey(put.Key) && put.Value.Length <= options.MaxValueBytes,
        KeyCommand keyed => IsValidKey(keyed.Key),
        _ => true,
    };

    private static bool IsValidKey(byte[] key) => key.Length is > 0 and <= KeyPath.MaxKeyBytes;

    private static async Task<IResult> ReadIndexAsync(HttpContext context, LinearizableReader reader)
    {
        try
        {
            var index = await reader.ConfirmReadIndexAsync(context.RequestAborted);
            return Results.Bytes(LeaderForwarder.EncodeReadIndex(index), LeaderForwarder.MediaType);
        }
        catch (NotLeaderException)
        {
            return Problems.Unavailable(context, new UnavailableException("This member is not the leader."));
        }
        catch (UnavailableException e)
        {
            return Problems.Unavailable(context, e);
        }
    }

    private static async Task<IResult> ProposeAsync(HttpContext context, ProposalBatcher batcher, DiskSpaceGuard diskSpace, NodeOptions options)
    {
        var body = await RequestBody.ReadAsync(context, 64 << 20);
        if (body is null)
            return Problems.Of(StatusCodes.Status413PayloadTooLarge, "Batch too large", "A forwarded batch is limited to 64 MiB.");

        KvCommand[] commands;
        try
        {
            commands = LogEntryCodec.Decode(body).Commands;
        }
        catch (InvalidDataException e)
        {
            return Problems.BadRequest(e.Message);
        }

        // Hold forwarded commands to the client limits all the same: a member never stores what
        // its own clients could not have sent.
        if (Array.Find(commands, c => !IsWithinLimits(c, options)) is { } invalid)
            return Problems.BadRequest("A forwarded command has an empty or oversized key or value.");

        // The leader's own disk must have room too: a follower checked only its own.
        if (Array.Exists(commands, static c => c is KeyCommand))
        {
            try
            {
                diskSpace.ThrowIfLow();
            }
            catch (InsufficientStorageException e)
            {
                return Problems.InsufficientStorage(e);
            }
        }

        try
        {
            var pending = new Task<ProposalResult>[commands.Length];
            for (var i = 0; i < commands.Length; i++)
                pending[i] = batcher.ProposeAsync(commands[i], mayForward: false, context.RequestAborted);
            var results = await Task.WhenAll(pending);
            return Results.Bytes(LeaderForwarder.EncodeResults(results), LeaderForwarder.MediaType);
        }
        catch (UnavailableException e)
        {
            return Problems.Unavailable(context, e);
        }
    }
}
