// The committed Raft log as JSON lines, like `s2 read`: GET /v1/log?from=<index>&limit=<n>
// (&consistency=local to skip the read barrier that otherwise makes the listing linearizable;
// &follow=true to keep streaming entries as they commit, like a stream read that follows its
// tail, until the client leaves or limit entries were sent when a limit is given).
//   {"index":5,"term":2,"Put":{"key":"hello","value":{"UInt":2}}}
//   {"index":6,"term":2,"Delete":{"key":"hello"}}
// Invariants:
//  - Only committed entries are shown, in index order; an entry carrying several commands
//    (group commit) gives one line per command, numbered by "position".
//  - Entries already folded into a snapshot are not an error: the first line says how far the
//    log was compacted and the listing goes on after it.
//  - The log's read lock is held only while a chunk is rendered into memory, never while the
//    client reads, so a slow reader cannot hold up log compaction.
//  - The caller's access (the root role) is re-checked before each chunk is written and when an
//    auth change takes it (StreamAccess); the listing then ends with an error line
//    ({"type": "error", ...} problem details).
using System.Globalization;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using KvDb.Node.Auth;
using KvDb.Node.HttpKit;
using KvDb.Node.OpenApi;
using KvDb.Node.Raft;
using KvDb.Node.Reads;
using KvDb.Node.Watch;

namespace KvDb.Node.Log;

/// <summary>Maps <c>/v1/log</c>.</summary>
public static class LogEndpoints
{
    /// <summary>Entries listed when no limit is given.</summary>
    public const int DefaultLimit = 100;

    /// <summary>The largest accepted limit.</summary>
    public const int MaxLimit = 10_000;

    private const int ChunkSize = 256;

    /// <summary>Maps the log endpoint.</summary>
    public static void MapLogEndpoints(this IEndpointRouteBuilder app)
        => app.MapGet("/v1/log", ReadAsync).Allow(AccessRule.Root)
            .WithTags("operations").WithName("readLog").WithSummary("The committed Raft log as JSON lines, one per command.")
            .WithQuery("from", "The first log index (default 1).")
            .WithQuery("limit", $"Entries to list, 1 to {MaxLimit} (default {DefaultLimit}; unlimited with follow=true).")
            .WithQuery("follow", "true: keep streaming entries as they commit until the client leaves.")
            .WithQuery("consistency", KvService.ConsistencyDescription)
            .Produces<string>(StatusCodes.Status200OK, "application/x-ndjson")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    private static async Task<IResult> ReadAsync(HttpContext context, LocalState state, IReadBarrier reader, ChangeFeed feed, StreamAccess streams)
    {
        var query = context.Request.Query;
        var follow = query["follow"].ToString();
        if (follow is not ("" or "true" or "false"))
            return Problems.BadRequest("follow must be true or false.");
        if (Parse(query["from"], 1, long.MaxValue) is not { } from)
            return Problems.BadRequest("from must be a log index: a whole number from 1.");
        if (Parse(query["limit"], follow == "true" ? long.MaxValue : DefaultLimit, MaxLimit) is not { } limit || limit < 1)
            return Problems.BadRequest($"limit must be a whole number from 1 to {MaxLimit} (default {DefaultLimit}).");
        if (!KvService.TryParseConsistency(query["consistency"], out var consistency))
            return Problems.BadRequest($"consistency must be {KvService.ConsistencyNames}.");

        // Like a read: by default the listing includes every write acknowledged before it began.
        if (consistency is ReadConsistency.Linearizable)
        {
            await reader.WaitAsync(context.RequestAborted);
        }

        // A transaction's outcome is not in the log: the change history recorded it when it applied.
        Func<long, Core.Watch.ChangeRecord?> history = index =>
        {
            using var view = state.Store.OpenView();
            return Core.Watch.ChangeHistory.At(view, index);
        };
        var access = streams.Watch(context);
        return Results.Stream(
            async stream =>
            {
                using (access)
                    await WriteAsync(stream, state.Log, from, limit, follow == "true" ? feed : null, history, access, context.RequestAborted);
            },
            "application/x-ndjson");
    }

    private static async Task WriteAsync(Stream stream, WriteAheadLog log, long from, long limit, ChangeFeed? follow, Func<long, Core.Watch.ChangeRecord?> history, AccessWatch access, CancellationToken token)
    {
        // The compacted-through line does not count against the limit: 'limit' entries follow it.
        var start = from;
        var remaining = limit;
        try
        {
            while (true)
            {
                var committed = log.LastCommittedEntryIndex;
                while (remaining > 0 && start <= committed)
                {
                    var end = long.Min(committed, start + long.Min(remaining, ChunkSize) - 1);
                    var (lines, next, entries) = await RenderAsync(log, start, end, history, token);

                    // Checked after rendering: an entry committed after the change that took access is never written.
                    if (access.Check() is { } loss)
                    {
                        await stream.WriteAsync(ErrorLine(loss), token);
                        return;
                    }

                    await stream.WriteAsync(lines, token);
                    remaining -= entries;
                    start = next;
                }

                if (follow is null || remaining <= 0)
                    return;

                // Following the tail: flush what is written, then wait for the next entry here (or for access to be lost).
                await stream.FlushAsync(token);
                try
                {
                    await follow.WaitForAppliedAfterAsync(start - 1, TimeSpan.FromSeconds(10), access.Token);
                }
                catch (OperationCanceledException) when (!token.IsCancellationRequested)
                {
                    if (access.Check() is { } loss)
                    {
                        await stream.WriteAsync(ErrorLine(loss), token);
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The client left.
        }
    }

    private static byte[] ErrorLine(AccessLoss loss) => [.. loss.ToEventJson(), (byte)'\n'];

    private static async Task<(byte[] Lines, long Next, long Entries)> RenderAsync(WriteAheadLog log, long start, long end, Func<long, Core.Watch.ChangeRecord?> history, CancellationToken token)
    {
        using var buffer = new MemoryStream();
        var next = start;
        var entries = 0L;
        using (var reader = await log.ReadAsync(start, end, token))
        {
            foreach (var entry in reader)
            {
                if (entry.IsSnapshot)
                {
                    LogEntryJson.WriteCompacted(buffer, entry.Index);
                }
                else
                {
                    LogEntryJson.WriteEntry(buffer, entry, history);
                    entries++;
                }

                next = entry.Index + 1;
            }
        }

        return (buffer.ToArray(), next, entries);
    }

    private static long? Parse(string? text, long fallback, long max)
    {
        if (string.IsNullOrEmpty(text))
            return fallback;
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 1 && value <= max ? value : null;
    }
}
