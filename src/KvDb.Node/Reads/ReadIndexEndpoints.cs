// The peer endpoint followers ask the leader for read indices at (see ReadIndexClient).
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;

namespace KvDb.Node.Reads;

/// <summary>Maps the read-index endpoint (peer port only).</summary>
public static class ReadIndexEndpoints
{
    /// <summary>Maps <c>POST /internal/v1/read-index</c>.</summary>
    public static void MapReadIndexEndpoints(this IEndpointRouteBuilder app)
        => app.MapPost(ReadIndexClient.Path, ReadIndexAsync).PeerOnly().Allow(AccessRule.Peer);

    private static async Task<IResult> ReadIndexAsync(HttpContext context, LinearizableReader reader)
    {
        var index = await reader.ConfirmReadIndexAsync(context.RequestAborted);
        return Results.Bytes(ReadIndexClient.Encode(index), ReadIndexClient.MediaType);
    }
}
