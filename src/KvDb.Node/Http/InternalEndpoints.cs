// Member-to-member endpoints on the HTTP port. Followers forward client writes here; the
// leader proposes them (never forwarding again) and answers with per-command results.
using KvDb.Core.Commands;
using KvDb.Node.Raft;

namespace KvDb.Node.Http;

/// <summary>Maps the endpoints other members call.</summary>
public static class InternalEndpoints
{
    /// <summary>Maps <see cref="LeaderForwarder.ProposePath"/>.</summary>
    public static void MapInternalEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost(LeaderForwarder.ProposePath, ProposeAsync);
    }

    private static async Task<IResult> ProposeAsync(HttpContext context, ProposalBatcher batcher)
    {
        var body = await RequestBody.ReadAsync(context, 64 << 20);
        if (body is null)
            return Problems.Of(StatusCodes.Status413PayloadTooLarge, "Batch too large", "A forwarded batch is limited to 64 MiB.");

        KvCommand[] commands;
        try
        {
            commands = LogEntryCodec.Decode(body);
        }
        catch (InvalidDataException e)
        {
            return Problems.BadRequest(e.Message);
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
