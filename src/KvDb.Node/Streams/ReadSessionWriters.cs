// How a following read is written: as Server-Sent Events (S2's fetch transport) or as s2s frames
// (its session transport over HTTP/2). Both send batches in order, a heartbeat with the tail
// when caught up, an error that ends the session, and an end once a limit is reached.
//  - SSE: "event: batch" with "id: last_seq,count,bytes" and ReadBatch JSON; "event: ping"
//    {"timestamp", "tail"}; "event: error" with S2's error JSON; "data: [DONE]" at the end.
//  - s2s: a ReadBatch frame per batch; an empty ReadBatch carrying the tail as the heartbeat; a
//    terminal frame for an error; the body simply ends at the end.
using System.Globalization;
using System.Text;
using KvDb.Contracts;
using KvDb.Core.Lists;

namespace KvDb.Node.Streams;

/// <summary>Writes one following read.</summary>
internal abstract class ReadSessionWriter(HttpResponse response)
{
    protected HttpResponse Response => response;

    /// <summary>Sends the response's headers.</summary>
    public async Task StartAsync(string contentType, CancellationToken cancel)
    {
        response.ContentType = contentType;
        response.Headers.CacheControl = "no-cache, no-transform";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.StartAsync(cancel);
        await response.Body.FlushAsync(cancel);
    }

    /// <summary>Sends records; <paramref name="sent"/> and <paramref name="sentBytes"/> count the session's so far.</summary>
    public abstract Task BatchAsync(ListItem[] items, long sent, long sentBytes, CancellationToken cancel);

    /// <summary>Says the reader is at the tail.</summary>
    public abstract Task HeartbeatAsync(S2PositionJson tail, CancellationToken cancel);

    /// <summary>Ends the session normally.</summary>
    public abstract Task DoneAsync(CancellationToken cancel);

    /// <summary>Ends the session with an error.</summary>
    public abstract Task ErrorAsync(S2Error error, CancellationToken cancel);

    protected async Task WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancel)
    {
        await response.Body.WriteAsync(bytes, cancel);
        await response.Body.FlushAsync(cancel);
    }
}

/// <summary>Server-Sent Events.</summary>
internal sealed class SseSessionWriter(HttpResponse response, bool base64) : ReadSessionWriter(response)
{
    public override Task BatchAsync(ListItem[] items, long sent, long sentBytes, CancellationToken cancel)
    {
        var batch = new S2ReadBatchJson { Records = [.. items.Select(i => S2Records.ToJson(i, base64))] };
        var id = string.Create(CultureInfo.InvariantCulture, $"{items[^1].Offset},{sent},{sentBytes}");
        return EventAsync("batch", id, ContractJson.ToUtf8Bytes(batch, S2JsonContext.Default.S2ReadBatchJson), cancel);
    }

    public override Task HeartbeatAsync(S2PositionJson tail, CancellationToken cancel)
        => EventAsync("ping", null, ContractJson.ToUtf8Bytes(new S2PingJson { Timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Tail = tail }, S2JsonContext.Default.S2PingJson), cancel);

    public override Task DoneAsync(CancellationToken cancel) => WriteAsync("data: [DONE]\n\n"u8.ToArray(), cancel);

    public override Task ErrorAsync(S2Error error, CancellationToken cancel) => EventAsync("error", null, error.ToJson(), cancel);

    private Task EventAsync(string name, string? id, byte[] data, CancellationToken cancel)
    {
        using var buffer = new MemoryStream(data.Length + 64);
        buffer.Write(Encoding.UTF8.GetBytes($"event: {name}\n"));
        if (id is not null)
            buffer.Write(Encoding.UTF8.GetBytes($"id: {id}\n"));
        buffer.Write("data: "u8);
        buffer.Write(data);
        buffer.Write("\n\n"u8);
        return WriteAsync(buffer.ToArray(), cancel);
    }
}

/// <summary>s2s frames.</summary>
internal sealed class FramedSessionWriter(HttpResponse response) : ReadSessionWriter(response)
{
    public override Task BatchAsync(ListItem[] items, long sent, long sentBytes, CancellationToken cancel)
        => WriteAsync(S2sFrames.Regular(S2Protobuf.WriteBatch(items, null)), cancel);

    public override Task HeartbeatAsync(S2PositionJson tail, CancellationToken cancel)
        => WriteAsync(S2sFrames.Regular(S2Protobuf.WriteBatch([], (tail.SeqNum, tail.Timestamp))), cancel);

    public override Task DoneAsync(CancellationToken cancel) => Task.CompletedTask;

    public override Task ErrorAsync(S2Error error, CancellationToken cancel) => WriteAsync(S2sFrames.TerminalOf(error), cancel);
}
