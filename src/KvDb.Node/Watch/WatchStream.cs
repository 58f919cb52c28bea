// One watch's stream: writes the matching changes after its cursor, then follows the log.
// Invariants:
//  - Events are written in revision order from a cursor that only moves forward: no gap, no
//    duplicate, and all changes of one revision are written (and flushed) together.
//  - A watch first catches up by itself (from the in-memory tail of the history, or the store
//    when it reaches back further), then attaches to the WatchHub, which queues it the matching
//    changes of each applied entry. A watch the hub drops (its queue was full) catches up by
//    itself again from the last revision the hub offered it whole.
//  - The cursor never passes what this member has applied, so a watch on a lagging member
//    waits rather than skips, and never goes back in time.
//  - A progress event at revision R means every matching change up to R has been sent. One is
//    sent as soon as the watcher has caught up, then every progress= interval.
//  - The history moving past a watch while it catches up ends the stream with a compacted event.
//  - A client that stops reading is cut off once a flush has waited --watch-slow-reader-timeout; what a
//    watch holds meanwhile is bounded (Watcher.MaxQueued changes, one flush of FlushBytes).
//  - Access is re-checked before every flush (and the wait wakes when an auth change takes it):
//    once the caller lost access the stream sends, instead of what it had buffered, one error
//    event (problem details with "type": "error") and ends, so no change applied after the
//    change that took access away reaches the client.
using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using KvDb.Core.Values;
using KvDb.Core.Watch;
using KvDb.Node.Auth;
using KvDb.Node.HttpKit;
using KvDb.Node.Observability;
using KvDb.Node.Raft;

namespace KvDb.Node.Watch;

/// <summary>Writes one watch's events to its client.</summary>
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "A watch stream is kvdb's name for one watch's events over HTTP (the operations docs count watch streams); the type is not a System.IO.Stream and is never used as one.")]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "The JSON writer writes into the buffer, managed memory only: its Dispose frees nothing the GC would not (each event is flushed into the buffer as it is written), and a WatchStream lives exactly as long as its request.")]
public sealed partial class WatchStream(HttpContext context, WatchRequest request, AccessWatch access, TimeSpan slowReaderTimeout, ILogger<WatchStream> logger)
{
    // Changes are written to the client in pieces of about this size, at revision boundaries.
    private const int FlushBytes = 32 * 1024;

    // What is written and not yet flushed. One buffer and one JSON writer per stream, reused for
    // every event: a busy prefix sends each change to every watcher that follows it, so an
    // allocation per event is multiplied by the watchers.
    private readonly ArrayBufferWriter<byte> buffer = new(4096);
    private Utf8JsonWriter? json;
    private bool accessLost;

    /// <summary>Streams until the client leaves, is cut off, loses access, or the history passes the cursor.</summary>
    public async Task RunAsync(long cursor, LocalState state, ChangeFeed feed, WatchHub hub)
    {
        var token = context.RequestAborted;
        var watcher = new Watcher(request.Range);
        var queued = new List<(long Revision, ChangeEvent Change)>();
        var attached = false;
        var caughtUp = false;
        var nextProgress = DateTime.UtcNow + request.Progress;
        await context.Response.StartAsync(token);
        try
        {
            while (!token.IsCancellationRequested)
            {
                if (access.Check() is not null)
                    await FlushAsync();
                if (!attached)
                {
                    if (await CatchUpAsync(cursor, state) is not { } reached)
                        return;
                    cursor = reached;
                    attached = hub.TryAttach(watcher, cursor);
                }

                if (attached)
                {
                    // Position first: every matching change up to it is queued before it is published.
                    var offered = hub.Position;
                    cursor = await SendQueuedAsync(watcher, queued, cursor);
                    if (watcher.Dropped)
                    {
                        // Too slow for the hub: take what it queued before letting go, then catch up alone.
                        cursor = await SendQueuedAsync(watcher, queued, cursor);
                        cursor = long.Max(cursor, watcher.ResumeAfter);
                        hub.Detach(watcher);
                        attached = false;
                        continue;
                    }

                    cursor = long.Max(cursor, offered);
                }

                if (!caughtUp || DateTime.UtcNow >= nextProgress)
                {
                    var at = cursor;
                    Write(json => { json.WriteString("type", "progress"); json.WriteNumber("revision", at); }, id: at);
                    await FlushAsync();
                    caughtUp = true;
                    nextProgress = DateTime.UtcNow + request.Progress;
                }

                var wait = nextProgress - DateTime.UtcNow;
                wait = wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
                try
                {
                    if (attached)
                        await watcher.WaitAsync(wait, access.Token);
                    else
                        await feed.WaitForAppliedAfterAsync(cursor, wait, access.Token);
                }
                catch (OperationCanceledException) when (!token.IsCancellationRequested)
                {
                    // Access was lost: the next round ends the stream.
                }
            }
        }
        catch (OperationCanceledException) when (accessLost)
        {
            // Ended with an error event.
        }
        finally
        {
            hub.Detach(watcher);
        }
    }

    // Reads the history after the cursor by itself (from the in-memory tail when it reaches back
    // that far, else from the store) and writes the matching changes; null after a compacted event.
    private async Task<long?> CatchUpAsync(long cursor, LocalState state)
    {
        using var view = state.Store.OpenView();
        var compacted = ChangeHistory.CompactedRevision(view);
        if (cursor < compacted)
        {
            Write(json => { json.WriteString("type", "compacted"); json.WriteNumber("compactRevision", compacted); }, id: null);
            await FlushAsync();
            return null;
        }

        var recent = new List<(long Revision, ChangeRecord Record)>();
        IEnumerable<(long Revision, ChangeRecord Record)> records;
        long upTo;
        if (state.Recent.TryRead(cursor, long.MaxValue, recent, out var covered))
            (records, upTo) = (recent, covered);
        else
            (records, upTo) = (ChangeHistory.After(view, cursor), view.Index);

        foreach (var (revision, record) in records)
        {
            if (revision > upTo)
                break;
            var sent = 0;
            foreach (var change in record.Events)
            {
                if (!request.Range.Contains(change.Key))
                    continue;
                Write(json => WriteChange(json, change, revision, request.Previous), id: revision);
                sent++;
            }

            if (sent > 0)
                WatchInstruments.WatchEvents.Add(sent);
            if (buffer.WrittenCount >= FlushBytes)
                await FlushAsync();
        }

        if (buffer.WrittenCount > 0)
            await FlushAsync();
        return long.Max(cursor, upTo);
    }

    // Writes the changes the hub queued, whole revisions at a time; returns the last revision written.
    private async Task<long> SendQueuedAsync(Watcher watcher, List<(long Revision, ChangeEvent Change)> queued, long cursor)
    {
        queued.Clear();
        watcher.Drain(queued);
        if (queued.Count == 0)
            return cursor;
        for (var i = 0; i < queued.Count; i++)
        {
            var (revision, change) = queued[i];
            Write(json => WriteChange(json, change, revision, request.Previous), id: revision);
            cursor = revision;
            var revisionEnds = i + 1 == queued.Count || queued[i + 1].Revision != revision;
            if (revisionEnds && buffer.WrittenCount >= FlushBytes)
                await FlushAsync();
        }

        WatchInstruments.WatchEvents.Add(queued.Count);
        queued.Clear();
        if (buffer.WrittenCount > 0)
            await FlushAsync();
        return cursor;
    }

    private void Write(Action<Utf8JsonWriter> body, long? id)
    {
        if (request.ServerSentEvents)
        {
            if (id is { } revision)
            {
                buffer.Write("id: "u8);
                Utf8Formatter.TryFormat(revision, buffer.GetSpan(20), out var written);
                buffer.Advance(written);
                buffer.Write("\n"u8);
            }

            buffer.Write("data: "u8);
        }

        if (json is null)
            json = new Utf8JsonWriter(buffer, TypedValueJson.WriterOptions);
        else
            json.Reset();
        json.WriteStartObject();
        body(json);
        json.WriteEndObject();
        json.Flush();

        buffer.Write(request.ServerSentEvents ? "\n\n"u8 : "\n"u8);
    }

    // Hand-written on purpose, in KvDb.Contracts' WatchEventJson shape: every change goes to every
    // matching watcher, written straight from its UTF-8 bytes where the record would take it through a string.
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

    // Writes what is buffered, or, once the caller has lost access, the error event instead and ends the stream.
    private async Task FlushAsync()
    {
        if (access.Check() is { } loss)
        {
            buffer.ResetWrittenCount();
            Write(loss.WriteEventMembers, id: null);
            accessLost = true;
        }

        var body = context.Response.Body;
        // Kestrel answers a cancelled write by aborting the connection, which also cancels
        // RequestAborted: only the timer tells a cut-off from a client that left.
        using var timer = new CancellationTokenSource(slowReaderTimeout);
        using var slow = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, timer.Token);
        try
        {
            await body.WriteAsync(buffer.WrittenMemory, slow.Token);
            await body.FlushAsync(slow.Token);
        }
        catch (Exception e) when (timer.IsCancellationRequested && e is OperationCanceledException or IOException)
        {
            WatchInstruments.WatchersCutOff.Add(1);
            LogCutOff(context.Connection.RemoteIpAddress?.ToString() ?? "?", slowReaderTimeout.TotalSeconds);
            context.Abort();
            throw new OperationCanceledException(context.RequestAborted);
        }
        finally
        {
            buffer.ResetWrittenCount();
        }

        if (accessLost)
            throw new OperationCanceledException("The caller lost access; the stream ended with an error event.");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cut off a watcher at {Remote}: it did not read for {Seconds} s")]
    private partial void LogCutOff(string remote, double seconds);
}
