// One watch of watch mode: GET /v1/watch?start=&end=&progress= on its own HTTP/1.1 connection,
// read line by line for as long as the run lasts. Invariants:
//  - The answer is streamed (headers first, then the body as it arrives), never buffered whole:
//    a line may span reads, and one longer than the buffer makes it grow.
//  - Every line of one read gets the timestamp taken when that read returned: its receipt time.
//  - Only put events of benchmark keys are kept, as (revision, key index, receipt time), in
//    arrival order; Receipts is written by the reading task alone and read by others only after
//    Reading has ended. ProgressRevision only moves forward.
//  - CaughtUp completes with true at the first progress line (the watch has caught up with
//    history) and with false if reading ends before one; Failure then says why.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace KvDb.Bench;

/// <summary>A put a watcher received: its revision, key index and the Stopwatch timestamp of its arrival.</summary>
public readonly record struct WatchReceipt(long Revision, int Key, long ReceivedAt);

/// <summary>One watch stream and what arrived on it.</summary>
public sealed class Watcher
{
    private const int InitialBuffer = 4096;
    private const int ErrorDetailBytes = 512;

    private readonly TaskCompletionSource<bool> caughtUp = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<WatchReceipt> receipts = [];
    private long progressRevision;
    private volatile string? failure;

    /// <summary>Watcher number <paramref name="index"/>, following key range <paramref name="range"/>.</summary>
    public Watcher(int index, int range)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfNegative(range);
        Index = index;
        Range = range;
    }

    /// <summary>The watcher's number, from 0.</summary>
    public int Index { get; }

    /// <summary>The key range it follows.</summary>
    public int Range { get; }

    /// <summary>True once the first progress line arrived; false if the stream ended or failed before.</summary>
    public Task<bool> CaughtUp => caughtUp.Task;

    /// <summary>The reading task; completed once the stream ended, failed or was stopped.</summary>
    public Task Reading { get; private set; } = Task.CompletedTask;

    /// <summary>The revision of the latest progress line (every matching change up to it has arrived); 0 before the first.</summary>
    public long ProgressRevision => Volatile.Read(ref progressRevision);

    /// <summary>Why the stream ended before it was stopped, or null.</summary>
    public string? Failure => failure;

    /// <summary>The puts received, in arrival order; read only after <see cref="Reading"/> has completed.</summary>
    public IReadOnlyList<WatchReceipt> Receipts => receipts;

    /// <summary>Starts reading the watch <paramref name="uri"/> through <paramref name="client"/> until <paramref name="stop"/> is cancelled.</summary>
    public void Start(HttpClient client, Uri uri, string? authorization, KeySpace keys, CancellationToken stop)
        => Reading = Task.Run(() => ReadAsync(client, uri, authorization, keys, stop), CancellationToken.None);

    private async Task ReadAsync(HttpClient client, Uri uri, string? authorization, KeySpace keys, CancellationToken stop)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri)
            {
                Version = HttpVersion.Version11,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            if (authorization is not null)
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop).ConfigureAwait(false);
            var stream = await response.Content.ReadAsStreamAsync(stop).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    var detail = await DetailAsync(stream, stop).ConfigureAwait(false);
                    failure = string.Create(CultureInfo.InvariantCulture, $"http {(int)response.StatusCode}: {detail}");
                }
                else
                {
                    await ReadLinesAsync(stream, keys, stop).ConfigureAwait(false);
                }
            }
        }
        catch (Exception) when (stop.IsCancellationRequested)
        {
            // Stopped: whatever the cancellation surfaced as, the watch did not fail.
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Kept rather than thrown: the report counts failed watchers and names the first cause.
            failure = $"{e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}";
        }
        finally
        {
            caughtUp.TrySetResult(false);
        }
    }

    private async Task ReadLinesAsync(Stream stream, KeySpace keys, CancellationToken stop)
    {
        var buffer = new byte[InitialBuffer];
        int start = 0, end = 0;
        while (true)
        {
            if (end == buffer.Length)
            {
                // A partial line fills the buffer: move it to the front, or grow when it already is.
                if (start > 0)
                    buffer.AsSpan(start, end - start).CopyTo(buffer);
                else
                    Array.Resize(ref buffer, buffer.Length * 2);
                (start, end) = (0, end - start);
            }

            var read = await stream.ReadAsync(buffer.AsMemory(end), stop).ConfigureAwait(false);
            if (read == 0)
            {
                failure = "the member ended the stream";
                return;
            }

            var receivedAt = Stopwatch.GetTimestamp();
            end += read;
            int newline;
            while ((newline = buffer.AsSpan(start, end - start).IndexOf((byte)'\n')) >= 0)
            {
                if (!Handle(WatchLine.Parse(buffer.AsSpan(start, newline), keys), receivedAt))
                    return;
                start += newline + 1;
            }

            if (start == end)
                (start, end) = (0, 0);
        }
    }

    // False when the stream is over (compacted).
    private bool Handle(WatchLine line, long receivedAt)
    {
        switch (line.Type)
        {
            case WatchLineType.Put when line.Key >= 0:
                receipts.Add(new WatchReceipt(line.Revision, line.Key, receivedAt));
                return true;
            case WatchLineType.Progress:
                if (line.Revision > progressRevision)
                    Volatile.Write(ref progressRevision, line.Revision);
                caughtUp.TrySetResult(true);
                return true;
            case WatchLineType.Compacted:
                failure = string.Create(CultureInfo.InvariantCulture, $"the history was compacted past the watch (compactRevision {line.Revision})");
                return false;
            default:
                return true;
        }
    }

    // The head of an error answer (problem details), on one line.
    private static async Task<string> DetailAsync(Stream stream, CancellationToken stop)
    {
        var head = new byte[ErrorDetailBytes];
        var length = 0;
        int read;
        while (length < head.Length && (read = await stream.ReadAsync(head.AsMemory(length), stop).ConfigureAwait(false)) > 0)
            length += read;
        return Encoding.UTF8.GetString(head, 0, length).ReplaceLineEndings(" ").Trim();
    }
}
