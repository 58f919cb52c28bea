// GET /v1/watch: the changes to a key, a prefix or a range, from any revision, as NDJSON (one
// JSON object a line) or Server-Sent Events, until the client leaves.
// Invariants:
//  - Parameters and permissions are checked before anything streams (400, 403 as problem details).
//  - The cursor starts at after= (or Last-Event-ID), else at the revision of a linearizable
//    read made when the watch starts, so a new watch never starts behind a write it could see.
//  - after= older than the history is 410 (problem details with compactRevision) before any event.
//  - The watch's access is re-checked at every auth change (StreamAccess); once the caller lost
//    it, the stream ends with an error event.
using KvDb.Core.Auth;
using KvDb.Core.Watch;
using KvDb.Node.Auth;
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using KvDb.Node.Keys;
using KvDb.Node.OpenApi;
using KvDb.Node.Raft;
using Microsoft.Extensions.Options;

namespace KvDb.Node.Watch;

/// <summary>Maps <c>/v1/watch</c>.</summary>
public static class WatchEndpoints
{
    /// <summary>Maps the watch endpoint.</summary>
    public static void MapWatchEndpoints(this IEndpointRouteBuilder app)
        => app.MapGet("/v1/watch", WatchAsync).Allow(AccessRule.Keys)
            .WithTags("watch").WithName("watch").WithSummary("Stream the changes of a key, a prefix or a range after a revision, as JSON lines (or an event stream with Accept: text/event-stream).")
            .WithQuery("key", "Watch this key.")
            .WithQuery("prefix", "Watch the keys that start with this text.")
            .WithQuery("start", "Watch the range from this key (inclusive).")
            .WithQuery("end", "... to this key (exclusive; default: after the last key).")
            .WithQuery("after", "Send the changes after this revision (default: from now on); older than the history gives 410.")
            .WithQuery("prev", "true: each change carries the key's previous value.")
            .WithQuery("progress", "Send a progress line after this long without changes (100ms to 10m).")
            .Produces<string>(StatusCodes.Status200OK, "application/x-ndjson", "text/event-stream")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status410Gone)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    private static async Task WatchAsync(HttpContext context, KvService kv, LocalState state, ChangeFeed feed, WatchHub hub, StreamAccess streams, IOptions<WatchOptions> options, ILogger<WatchStream> logger)
    {
        var (request, error) = WatchRequest.Parse(context.Request);
        if (request is null)
        {
            await Problems.BadRequest(error!).ExecuteAsync(context);
            return;
        }

        var singleKey = request.Range.End is null && request.Range.SingleKey;
        var denied = singleKey
            ? KeyAccess.Denied(context, Access.Read, request.Range.Start)
            : KeyAccess.DeniedRange(context, request.Range.Start, request.Range.End);
        if (denied is not null)
        {
            await denied.ExecuteAsync(context);
            return;
        }

        using var access = streams.Watch(context, Access.Read, request.Range.Start, request.Range.End, singleKey);

        long cursor;
        using (var view = await kv.OpenViewAsync(request.After is null ? ReadConsistency.Linearizable : ReadConsistency.Local, context.RequestAborted))
        {
            cursor = request.After ?? view.Index;
            var compacted = ChangeHistory.CompactedRevision(view);
            if (cursor < compacted)
            {
                await Results.Problem(
                    statusCode: StatusCodes.Status410Gone,
                    title: "Revision compacted",
                    detail: $"Changes up to revision {compacted} are no longer kept (--watch-history); read the keys again with a range and watch from the range's revision.",
                    extensions: new Dictionary<string, object?> { ["compactRevision"] = compacted }).ExecuteAsync(context);
                return;
            }
        }

        var sse = request.ServerSentEvents;
        context.Response.ContentType = sse ? "text/event-stream" : "application/x-ndjson";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";

        // Where the watch starts: with no after=, a client learns here what it will resume after.
        context.Response.Headers[KvdbHeaders.Index] = cursor.ToString(System.Globalization.CultureInfo.InvariantCulture);
        hub.StreamOpened();
        try
        {
            await new WatchStream(context, request, access, options.Value.SlowReaderTimeout, logger).RunAsync(cursor, state, feed, hub);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client left.
        }
        finally
        {
            hub.StreamClosed();
        }
    }
}
