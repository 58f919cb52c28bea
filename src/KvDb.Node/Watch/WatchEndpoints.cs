// GET /v1/watch: the changes to a key, a prefix or a range, from any revision, as NDJSON (one
// JSON object a line) or Server-Sent Events, until the client leaves.
// Invariants:
//  - Events come from the change history in the store (ChangeHistory), read in revision order
//    from a cursor that only moves forward: no gap, no duplicate, and all changes of one
//    revision are written (and flushed) together.
//  - The cursor starts at after= (or Last-Event-ID), else at the revision of a linearizable
//    read made when the watch starts; it never passes what this member has applied, so a watch
//    on a lagging member waits rather than skips, and never goes back in time.
//  - A progress event at revision R means every matching change up to R has been sent. One is
//    sent as soon as the watcher has caught up, then every progress= interval.
//  - after= older than the history is 410 (problem details with compactRevision) before any
//    event; the history moving past a watcher while it streams ends the stream with a
//    compacted event.
//  - A client that stops reading is cut off once a flush has waited SlowReaderTimeout: the
//    member keeps a cursor per watcher, never a queue.
using System.Globalization;
using System.Text;
using System.Text.Json;
using KvDb.Core.Auth;
using KvDb.Core.Values;
using KvDb.Core.Watch;

namespace KvDb.Node.Watch;

/// <summary>Maps <c>/v1/watch</c>.</summary>
public static partial class WatchEndpoints
{
    /// <summary>How long a flush may wait on a client that does not read before it is cut off.</summary>
    public static readonly TimeSpan SlowReaderTimeout = TimeSpan.FromSeconds(30);


    /// <summary>Maps the watch endpoint.</summary>
    public static void MapWatchEndpoints(this IEndpointRouteBuilder app)
        => app.MapGet("/v1/watch", WatchAsync).Allow(AccessRule.Keys);

    private static async Task WatchAsync(HttpContext context, KvService kv, LocalState state, ChangeFeed feed, ILoggerFactory loggers)
    {
        var (request, error) = WatchRequest.Parse(context.Request);
        if (request is null)
        {
            await Problems.BadRequest(error!).ExecuteAsync(context);
            return;
        }

        var denied = request.Range.End is null && request.Range.SingleKey
            ? KeyAccess.Denied(context, Access.Read, request.Range.Start)
            : KeyAccess.DeniedRange(context, request.Range.Start, request.Range.End);
        if (denied is not null)
        {
            await denied.ExecuteAsync(context);
            return;
        }

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
        var logger = loggers.CreateLogger("KvDb.Node.Watch");
        KvdbInstruments.OpenWatches.Add(1);
        try
        {
            await StreamAsync(context, request, cursor, state, feed, logger);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client left.
        }
        finally
        {
            KvdbInstruments.OpenWatches.Add(-1);
        }
    }

    private static async Task StreamAsync(HttpContext context, WatchRequest request, long cursor, LocalState state, ChangeFeed feed, ILogger logger)
    {
        var token = context.RequestAborted;
        var body = context.Response.Body;
        var buffer = new MemoryStream();
        var caughtUp = false;
        var nextProgress = DateTime.UtcNow + request.Progress;
        await context.Response.StartAsync(token);
        while (!token.IsCancellationRequested)
        {
            long compacted;
            long upTo;
            using (var view = state.Store.OpenView())
            {
                upTo = view.Index;
                compacted = ChangeHistory.CompactedRevision(view);
                if (cursor < compacted)
                {
                    Write(buffer, request, json => { json.WriteString("type", "compacted"); json.WriteNumber("compactRevision", compacted); }, id: null);
                    await FlushAsync(context, body, buffer, logger);
                    return;
                }

                foreach (var (revision, record) in ChangeHistory.After(view, cursor))
                {
                    if (revision > upTo)
                        break;
                    var sent = 0;
                    foreach (var change in record.Events)
                    {
                        if (!request.Range.Contains(change.Key))
                            continue;
                        Write(buffer, request, json => WriteChange(json, change, revision, request.Previous), id: revision);
                        sent++;
                    }

                    cursor = revision;
                    if (sent > 0)
                    {
                        KvdbInstruments.WatchEvents.Add(sent);
                        await FlushAsync(context, body, buffer, logger);
                    }
                }
            }

            cursor = long.Max(cursor, upTo);
            if (!caughtUp || DateTime.UtcNow >= nextProgress)
            {
                var at = cursor;
                Write(buffer, request, json => { json.WriteString("type", "progress"); json.WriteNumber("revision", at); }, id: at);
                await FlushAsync(context, body, buffer, logger);
                caughtUp = true;
                nextProgress = DateTime.UtcNow + request.Progress;
            }

            var wait = nextProgress - DateTime.UtcNow;
            await feed.WaitForAppliedAfterAsync(cursor, wait > TimeSpan.Zero ? wait : TimeSpan.Zero, token);
        }
    }

    private static void Write(MemoryStream buffer, WatchRequest request, Action<Utf8JsonWriter> body, long? id)
    {
        if (request.ServerSentEvents)
        {
            if (id is { } revision)
                buffer.Write(Encoding.ASCII.GetBytes($"id: {revision.ToString(CultureInfo.InvariantCulture)}\n"));
            buffer.Write("data: "u8);
        }

        using (var json = new Utf8JsonWriter(buffer, TypedValueJson.WriterOptions))
        {
            json.WriteStartObject();
            body(json);
            json.WriteEndObject();
        }

        buffer.Write(request.ServerSentEvents ? "\n\n"u8 : "\n"u8);
    }

    private static void WriteChange(Utf8JsonWriter json, ChangeEvent change, long revision, bool previous)
    {
        json.WriteString("type", change.Deleted ? "delete" : "put");
        json.WriteString("key", Encoding.UTF8.GetString(change.Key));
        if (!change.Deleted)
            ValueJson.Write(json, "value", "typed", change.Value, change.Kind);
        json.WriteNumber("revision", revision);
        if (previous && change.Previous is { } prior)
        {
            ValueJson.Write(json, "prevValue", "prevTyped", prior, change.PreviousKind);
            json.WriteNumber("prevRevision", change.PreviousRevision);
        }
    }

    private static async Task FlushAsync(HttpContext context, Stream body, MemoryStream buffer, ILogger logger)
    {
        using var slow = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        slow.CancelAfter(SlowReaderTimeout);
        try
        {
            await body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), slow.Token);
            await body.FlushAsync(slow.Token);
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            KvdbInstruments.WatchersCutOff.Add(1);
            LogCutOff(logger, context.Connection.RemoteIpAddress?.ToString() ?? "?", SlowReaderTimeout.TotalSeconds);
            context.Abort();
            throw new OperationCanceledException(context.RequestAborted);
        }
        finally
        {
            buffer.SetLength(0);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cut off a watcher at {Remote}: it did not read for {Seconds} s")]
    private static partial void LogCutOff(ILogger logger, string remote, double seconds);
}
