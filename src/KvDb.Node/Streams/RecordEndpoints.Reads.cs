// Reads of S2 records: unary (JSON or protobuf) and followed (Server-Sent Events, s2s sessions).
// Invariants:
//  - A read starts at its seq_num, the first record at or after its timestamp, or tail_offset
//    records before the tail (the tail when nothing is given); past the tail it is 416 unless
//    clamped; trimmed records are skipped. A read that starts at the tail and may not wait is
//    416, as in S2.
//  - A batch stops before the record that would pass count, bytes (metered) or until.
//  - Following (SSE, or an s2s session over HTTP/2; ReadSessionWriter): batches, a heartbeat
//    with the tail when caught up and then at least every 10 s, an error when access is lost,
//    and an end when a limit is reached or no record came for `wait` seconds. A follower takes
//    the stream's signal before it reads, so no append is missed (ListFeed).
using System.Globalization;
using System.Text;
using System.Text.Json;
using KvDb.Contracts;
using KvDb.Core.Auth;
using KvDb.Core.Lists;
using KvDb.Core.State;
using KvDb.Node.Auth;
using KvDb.Node.HttpKit;
using KvDb.Node.Lists;
using KvDb.Node.Raft;

namespace KvDb.Node.Streams;

public static partial class RecordEndpoints
{
    private const int UnaryMaxRecords = 1000;
    private const long UnaryMaxBytes = 1 << 20;
    private const long UnaryMaxWaitSecs = 60;
    private static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(10);

    private static async Task ReadAsync(HttpContext context, KvService kv, LocalState state, ListFeed feed, StreamAccess streams)
    {
        var (basin, stream, error) = StreamEndpoints.Target(context);
        if (error is not null)
        {
            await error.ExecuteAsync(context);
            return;
        }

        if (KeyAccess.Denied(context, Access.Read, S2Names.AccessKey(basin!, stream!)) is not null)
        {
            await S2Error.Denied($"reading stream `{stream}` needs read access to '{basin}/{stream}'").ExecuteAsync(context);
            return;
        }

        var (request, bad) = S2ReadRequest.Parse(context.Request);
        var (base64, badFormat) = S2Records.FormatOf(context.Request);
        var framed = context.Request.ContentType?.StartsWith(S2sFrames.MediaType, StringComparison.OrdinalIgnoreCase) is true;
        var sse = framed || FirstAccepted(context.Request).StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase);
        if ((bad ?? badFormat) is { } refused)
        {
            await refused.ExecuteAsync(context);
            return;
        }

        if (sse && ResumeFrom(context.Request, ref request!) is { } badResume)
        {
            await badResume.ExecuteAsync(context);
            return;
        }

        var key = Encoding.UTF8.GetBytes(stream!);
        var signal = feed.Appended(basin!, key);
        var (meta, missing) = await OpenAsync(context, kv, basin!, stream!);
        if (meta is null)
        {
            await missing!.ExecuteAsync(context);
            return;
        }

        var wait = request!.WaitSecs ?? (sse && !request.Bounded ? long.MaxValue : 0);
        using var view = state.Store.OpenView();
        var current = ListReader.Meta(view, basin!, key) ?? meta.Value;
        var (start, outOfRange) = StartOf(view, basin!, key, current, request);
        if ((outOfRange ?? (start == current.NextOffset && wait == 0 ? S2Error.RangeNotSatisfiable(Tail(current)) : null)) is { } range)
        {
            await range.ExecuteAsync(context);
            return;
        }

        if (sse)
        {
            using var access = streams.Watch(context, Access.Read, S2Names.AccessKey(basin!, stream!), null, singleKey: true);
            ReadSessionWriter writer = framed ? new FramedSessionWriter(context.Response) : new SseSessionWriter(context.Response, base64);
            await writer.StartAsync(framed ? S2sFrames.MediaType : "text/event-stream", context.RequestAborted);
            await FollowAsync(context, state, feed, signal, access, writer, new Cursor(basin!, key, start, request.Count ?? long.MaxValue, request.Bytes ?? long.MaxValue, request.Until, wait));
            return;
        }

        var cursor = new Cursor(basin!, key, start, long.Min(request.Count ?? UnaryMaxRecords, UnaryMaxRecords), long.Min(request.Bytes ?? UnaryMaxBytes, UnaryMaxBytes), request.Until, long.Min(wait, UnaryMaxWaitSecs));
        var (items, _) = cursor.Next(view);
        if (items.Length == 0 && cursor.Wait > 0 && !cursor.Done)
        {
            await signal.WaitAsync(TimeSpan.FromSeconds(cursor.Wait), context.RequestAborted).ContinueWith(static _ => { }, TaskScheduler.Default);
            using var later = state.Store.OpenView();
            (items, _) = cursor.Next(later);
        }

        StreamInstruments.RecordsRead.Add(items.Length);
        if (WantsProtobuf(context.Request))
            await Results.Bytes(S2Protobuf.WriteBatch(items, null), S2Protobuf.MediaType).ExecuteAsync(context);
        else
            await Results.Json(new S2ReadBatchJson { Records = [.. items.Select(i => S2Records.ToJson(i, base64))] }, S2JsonContext.Default.S2ReadBatchJson).ExecuteAsync(context);
    }

    // Sends batches until a limit, the idle wait, the client leaving, or lost access.
    private static async Task FollowAsync(HttpContext context, LocalState state, ListFeed feed, Task signal, AccessWatch access, ReadSessionWriter writer, Cursor cursor)
    {
        var token = context.RequestAborted;
        var idleSince = DateTime.UtcNow;
        var pinged = false;
        try
        {
            while (!token.IsCancellationRequested)
            {
                if (access.Check() is { } loss)
                {
                    await writer.ErrorAsync(new S2Error(loss.Status, loss.Status == 401 ? "authn" : "permission_denied", loss.Detail), token);
                    return;
                }

                ListItem[] items;
                ListMeta meta;
                using (var view = state.Store.OpenView())
                    (items, meta) = cursor.Next(view);
                if (items.Length > 0)
                {
                    StreamInstruments.RecordsRead.Add(items.Length);
                    await writer.BatchAsync(items, cursor.Sent, cursor.SentBytes, token);
                    idleSince = DateTime.UtcNow;
                    pinged = false;
                    continue;
                }

                if (cursor.Done || (cursor.Wait != long.MaxValue && DateTime.UtcNow - idleSince >= TimeSpan.FromSeconds(cursor.Wait)))
                {
                    await writer.DoneAsync(token);
                    return;
                }

                if (!pinged)
                {
                    await writer.HeartbeatAsync(Tail(meta), token);
                    pinged = true;
                }

                var idleLeft = cursor.Wait == long.MaxValue ? PingInterval : TimeSpan.FromSeconds(cursor.Wait) - (DateTime.UtcNow - idleSince);
                var woken = await signal.WaitAsync(TimeSpan.FromTicks(long.Max(0, long.Min(PingInterval.Ticks, idleLeft.Ticks))), access.Token)
                    .ContinueWith(static t => t.IsCompletedSuccessfully, TaskScheduler.Default);
                if (woken)
                    signal = feed.Appended(cursor.Basin, cursor.Key);
                else
                    pinged = false;
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    // Last-Event-ID "seq,count,bytes": resume after seq with the limits lowered by what was sent.
    private static S2Error? ResumeFrom(HttpRequest request, ref S2ReadRequest read)
    {
        var last = request.Headers["Last-Event-ID"].ToString();
        if (last.Length == 0)
            return null;
        var parts = last.Split(',');
        if (parts.Length != 3 || !long.TryParse(parts[0], CultureInfo.InvariantCulture, out var seq) || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out var count)
            || !long.TryParse(parts[2], CultureInfo.InvariantCulture, out var bytes))
            return S2Error.BadHeader("Last-Event-ID is \"seq_num,count,bytes\"");
        read = read with { Start = S2StartKind.SeqNum, At = seq + 1, Count = read.Count - count, Bytes = read.Bytes - bytes };
        return null;
    }

    private static (long Start, S2Error? Error) StartOf(IKeyValueView view, string basin, byte[] key, ListMeta meta, S2ReadRequest request)
    {
        var tail = Tail(meta);
        long start;
        switch (request.Start)
        {
            case S2StartKind.SeqNum:
                start = request.At;
                if (start > tail.SeqNum)
                    return request.Clamp ? (tail.SeqNum, null) : (0, S2Error.RangeNotSatisfiable(tail));
                break;
            case S2StartKind.Timestamp:
                if (request.At > tail.Timestamp && meta.Count > 0 && !request.Clamp)
                    return (0, S2Error.RangeNotSatisfiable(tail));
                var page = ListReader.Read(view, basin, key, forward: true, 1, ListSeek.Timestamp, request.At);
                start = page.Items.Count > 0 ? page.Items[0].Offset : tail.SeqNum;
                break;
            default:
                start = long.Max(0, tail.SeqNum - request.At);
                break;
        }

        return (long.Max(start, meta.FirstOffset), null);
    }

    // Where a read is, and what it may still send.
    private sealed class Cursor(string basin, byte[] key, long next, long count, long bytes, long? until, long wait)
    {
        public string Basin => basin;

        public byte[] Key => key;

        public long Wait => wait;

        public long Sent { get; private set; }

        public long SentBytes { get; private set; }

        public bool Done { get; private set; }

        // The next records the limits allow, and the stream's metadata as read.
        public (ListItem[] Items, ListMeta Meta) Next(IKeyValueView view)
        {
            var meta = ListReader.Meta(view, basin, key) ?? default;
            if (Done || next >= meta.NextOffset)
            {
                Done |= Sent >= count || SentBytes >= bytes;
                return ([], meta);
            }

            next = long.Max(next, meta.FirstOffset);
            var page = ListReader.Read(view, basin, key, forward: true, (int)long.Min(count - Sent, UnaryMaxRecords), ListSeek.Offset, next);
            var items = new List<ListItem>(page.Items.Count);
            foreach (var item in page.Items)
            {
                var size = S2Records.MeteredSize(item);
                if ((until is { } end && item.TimestampMs >= end) || SentBytes + size > bytes)
                {
                    Done = true;
                    break;
                }

                items.Add(item);
                Sent++;
                SentBytes += size;
                next = item.Offset + 1;
            }

            Done |= Sent >= count || SentBytes >= bytes;
            return ([.. items], meta);
        }
    }
}
