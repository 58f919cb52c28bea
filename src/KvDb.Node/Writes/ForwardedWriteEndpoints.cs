// The peer endpoint a leader takes batches of writes forwarded by followers at (see
// WriteForwarder). The leader proposes them with mayForward=false and answers one result per
// command.
// Invariants: forwarded commands are held to the same limits as a client's (a member never
// stores what its own clients could not have sent), and the leader's own disk reserve is
// checked too (a follower checked only its own), and so is the cluster version: a batch with a
// command some member cannot apply is refused whole (409) before any of it is proposed.
using KvDb.Core.Commands;
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;

namespace KvDb.Node.Writes;

/// <summary>Maps the forwarded-writes endpoint (peer port only).</summary>
public static class ForwardedWriteEndpoints
{
    /// <summary>The largest forwarded batch accepted.</summary>
    public const int MaxBatchBytes = 64 << 20;

    /// <summary>Maps <c>POST /internal/v1/propose</c>.</summary>
    public static void MapForwardedWriteEndpoints(this IEndpointRouteBuilder app)
        => app.MapPost(WriteForwarder.Path, ProposeAsync).PeerOnly().Allow(AccessRule.Peer);

    private static async Task<IResult> ProposeAsync(HttpContext context, IProposer proposer, DiskSpaceGuard diskSpace, NodeOptions options, CommandRegistry registry, ICommandGate gate)
    {
        var body = await RequestBody.ReadAsync(context, MaxBatchBytes);
        if (body is null)
            return Problems.Of(StatusCodes.Status413PayloadTooLarge, "Batch too large", "A forwarded batch is limited to 64 MiB.");

        KvCommand[] commands;
        try
        {
            commands = LogEntryCodec.Decode(body, registry).Commands;
        }
        catch (InvalidDataException e)
        {
            return Problems.BadRequest(e.Message);
        }

        var limits = new CommandLimits(KeyPath.MaxKeyBytes, options.MaxValueBytes, options.MaxTxnOps);
        if (Array.Exists(commands, c => registry.HandlerOf(c).LimitProblem(c, limits) is not null))
            return Problems.BadRequest("A forwarded command has an empty or oversized key or value.");
        if (Array.Exists(commands, c => registry.HandlerOf(c).WritesUserData))
            diskSpace.ThrowIfLow();

        // All or nothing: a command refused after others were proposed would leave the follower
        // unable to tell which of them were applied.
        foreach (var command in commands)
        {
            if (gate.RefusalOf(registry.HandlerOf(command)) is { } refusal)
                throw refusal;
        }

        var pending = new Task<ProposalResult>[commands.Length];
        for (var i = 0; i < commands.Length; i++)
            pending[i] = proposer.ProposeAsync(commands[i], mayForward: false, context.RequestAborted);
        var results = await Task.WhenAll(pending);
        // A follower of the earlier release does not ask for replies and could not read them.
        var withReplies = context.Request.Headers[WriteForwarder.ResultsFormatHeader] == WriteForwarder.WithReplies;
        if (withReplies)
            context.Response.Headers[WriteForwarder.ResultsFormatHeader] = WriteForwarder.WithReplies;
        return Results.Bytes(WriteForwarder.EncodeResults(results, withReplies), WriteForwarder.MediaType);
    }
}
