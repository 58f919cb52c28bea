// The client side of S2's sessions as `kvdb bench s2` drives them.
//  - An append session sends the same prebuilt AppendInput frame again and again, never more
//    than `inflight` unacknowledged, and hands each AppendAck, with the time its input was sent
//    and the time the ack arrived, to its observer. Acks come back in input order (S2's rule,
//    and kvdb's AppendSession), so send times are kept in a FIFO of at most `inflight`.
//  - A read session (GET .../records with Content-Type s2s/proto) hands each ReadBatch payload
//    to its observer with its arrival time; heartbeats (no records, a tail) included.
// Invariants: a session's failure (an HTTP error before it opens, a terminal frame, a broken
// connection, a malformed frame) ends only that session and is kept as one line in Failure;
// nothing is allocated per input or per batch beyond what HttpClient's HTTP/2 stream does.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace KvDb.Bench;

/// <summary>Receives a session's acknowledgements (on the session's receiving task, one at a time).</summary>
/// <param name="sentAt">When the input was written (Stopwatch timestamp).</param>
/// <param name="ackedAt">When its ack was read.</param>
/// <param name="ack">The ack.</param>
internal delegate void S2AckObserver(long sentAt, long ackedAt, in S2Ack ack);

/// <summary>Receives a read session's batches; returns false to end the session.</summary>
/// <param name="payload">A ReadBatch message (read it with <see cref="S2ReadBatchReader"/>).</param>
/// <param name="arrivedAt">When it was read (Stopwatch timestamp).</param>
internal delegate bool S2BatchObserver(ReadOnlySpan<byte> payload, long arrivedAt);

/// <summary>Appends budgeted over several sessions (the catch-up fill); unlimited when not given.</summary>
internal sealed class S2InputBudget(long inputs)
{
    private long left = inputs;

    public bool TryTake() => Interlocked.Decrement(ref left) >= 0;
}

/// <summary>One append session.</summary>
internal sealed class S2AppendSessionClient(S2Http http, Uri recordsUri, string basin, byte[] frame, int inflight, S2AckObserver observer)
{
    private readonly Queue<long> sentAt = new(inflight);

    /// <summary>Why the session ended early; null while it has not.</summary>
    public string? Failure { get; private set; }

    /// <summary>Inputs acknowledged.</summary>
    public long Acked { get; private set; }

    /// <summary>Runs the session until <paramref name="stopSending"/> (or the budget runs out) and every input sent is answered; <paramref name="abort"/> cuts it short.</summary>
    public async Task RunAsync(S2InputBudget? budget, CancellationToken stopSending, CancellationToken abort)
    {
        using var slots = new SemaphoreSlim(inflight, inflight);
        var body = new S2sRequestBody();
        using var request = http.Request(HttpMethod.Post, recordsUri, basin);
        request.Content = body;
        using var senderStop = CancellationTokenSource.CreateLinkedTokenSource(stopSending, abort);
        var sending = SendAsync(body, slots, budget, senderStop.Token, abort);
        try
        {
            using var response = await http.SendAsync(request, abort).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Failure = $"opening the append session on {recordsUri} answered {(int)response.StatusCode}: {await S2Http.TextAsync(response, abort).ConfigureAwait(false)}";
                return;
            }

            var stream = await response.Content.ReadAsStreamAsync(abort).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
                await ReceiveAsync(new S2sFrameReader(stream), slots, sending, abort).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Failure ??= Describe(e, abort);
        }
        finally
        {
            await senderStop.CancelAsync().ConfigureAwait(false);
            body.Finish();
            try
            {
                await sending.ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Failure ??= "sending: " + Describe(e, abort);
            }

            body.Dispose();
        }
    }

    private async Task ReceiveAsync(S2sFrameReader reader, SemaphoreSlim slots, Task sending, CancellationToken abort)
    {
        while (await reader.ReadAsync(abort).ConfigureAwait(false))
        {
            if (reader.IsTerminal)
            {
                var (status, error) = S2sCodec.ReadTerminal(reader.Payload);
                Failure = $"the append session on {recordsUri} ended with {status}: {error}";
                return;
            }

            var ack = S2sCodec.ReadAck(reader.Payload);
            var now = Stopwatch.GetTimestamp();
            long sent;
            lock (sentAt)
            {
                if (!sentAt.TryDequeue(out sent))
                {
                    Failure = $"the append session on {recordsUri} answered more acks than inputs were sent";
                    return;
                }
            }

            Acked++;
            observer(sent, now, ack);
            slots.Release();
        }

        if (!sending.IsCompleted)
            Failure = $"the append session on {recordsUri} ended before the bench finished it";
    }

    private async Task SendAsync(S2sRequestBody body, SemaphoreSlim slots, S2InputBudget? budget, CancellationToken stop, CancellationToken abort)
    {
        await Task.Yield();
        try
        {
            var stream = await body.Stream.WaitAsync(stop).ConfigureAwait(false);
            while (!stop.IsCancellationRequested)
            {
                await slots.WaitAsync(stop).ConfigureAwait(false);
                if (budget is not null && !budget.TryTake())
                    return;

                // The time goes in before the frame goes out: its ack cannot come first.
                lock (sentAt)
                    sentAt.Enqueue(Stopwatch.GetTimestamp());
                await stream.WriteAsync(frame, abort).ConfigureAwait(false);
                await stream.FlushAsync(abort).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            body.Finish();
        }
    }

    internal static string Describe(Exception e, CancellationToken abort) => e switch
    {
        OperationCanceledException when abort.IsCancellationRequested => "cut short (no answer within --timeout after the load stopped, or Ctrl+C)",
        HttpRequestException h => $"http error ({h.HttpRequestError}): {h.Message}",
        InvalidDataException => "a malformed frame: " + e.Message,
        IOException or SocketException => "connection: " + e.Message,
        _ => e.GetType().Name + ": " + e.Message,
    };
}

/// <summary>One read session.</summary>
internal static class S2ReadSessionClient
{
    /// <summary>Reads <paramref name="recordsUri"/> (with its query) as an s2s session until its end, the observer says stop, or <paramref name="cancel"/>; null, or why it failed.</summary>
    public static async Task<string?> RunAsync(S2Http http, Uri recordsUri, string basin, S2BatchObserver observer, CancellationToken cancel)
    {
        using var request = http.Request(HttpMethod.Get, recordsUri, basin);
        // A GET with Content-Type s2s/proto is how S2 asks for a read session.
        request.Content = new ByteArrayContent([]);
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(S2sCodec.MediaType);
        request.Headers.Accept.ParseAdd(S2sCodec.MediaType);
        try
        {
            using var response = await http.SendAsync(request, cancel).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
                return $"opening the read session {recordsUri} answered {(int)response.StatusCode}: {await S2Http.TextAsync(response, cancel).ConfigureAwait(false)}";
            var stream = await response.Content.ReadAsStreamAsync(cancel).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var reader = new S2sFrameReader(stream);
                while (await reader.ReadAsync(cancel).ConfigureAwait(false))
                {
                    if (reader.IsTerminal)
                    {
                        var (status, error) = S2sCodec.ReadTerminal(reader.Payload);
                        return $"the read session {recordsUri} ended with {status}: {error}";
                    }

                    if (!observer(reader.Payload, Stopwatch.GetTimestamp()))
                        return null;
                }
            }

            return null;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return S2AppendSessionClient.Describe(e, cancel);
        }
    }
}
