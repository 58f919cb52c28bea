// One of [batcher] writer_thread_count writers: batches the items of the lists it owns (a list
// is always owned by the same writer, so its items reach kvdb in the order they were consumed)
// and appends each batch when it is old enough, large enough or asked to flush.
// Invariants:
//  - A list's batches are appended one after another, each acknowledged before the next is
//    sent; an item is acknowledged to its partition's progress only once kvdb answered for it
//    (appended, skipped as a duplicate, or dead-lettered), so commits never pass it.
//  - A failed append is retried until it is answered or the writer is stopped hard; a retry is
//    a new append with the same items and nonces, so kvdb skips what the lost one stored.
//  - kvdb's 400 or 413 on a batch is retried item by item; an item refused on its own goes to
//    the dead-letter list (DeadLetters). A missing keyspace is created once (create_keyspaces).
//  - Stopped hard (the token), it abandons what it holds: those records were never committed,
//    so the next owner of their partitions replays them.
using System.Diagnostics;
using System.Net;
using System.Threading.Channels;
using KvDb.Client;

namespace KvDb.Kafka;

/// <summary>A batching writer of the lists it owns.</summary>
internal sealed class ListWriter
{
    private const int MaxItemsPerAppend = 10_000;
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    private readonly int index;
    private readonly BatcherSettings batcher;
    private readonly KvdbSettings kvdb;
    private readonly string deadLetterKeyspace;
    private readonly IListSink sink;
    private readonly BridgeMetrics metrics;
    private readonly TextWriter log;
    private readonly Channel<WriterMessage> inbox;
    private readonly Dictionary<ListId, Batch> batches = [];
    private readonly HashSet<string> keyspacesCreated = new(StringComparer.Ordinal);
    private readonly CancellationToken stop;

    /// <summary>Starts writer <paramref name="index"/>; <paramref name="stop"/> stops it hard.</summary>
    public ListWriter(int index, BatcherSettings batcher, KvdbSettings kvdb, string deadLetterKeyspace, IListSink sink, BridgeMetrics metrics, TextWriter log, CancellationToken stop)
    {
        this.index = index;
        this.batcher = batcher;
        this.kvdb = kvdb;
        this.deadLetterKeyspace = deadLetterKeyspace;
        this.sink = sink;
        this.metrics = metrics;
        this.log = log;
        this.stop = stop;
        var options = new UnboundedChannelOptions { SingleReader = true, SingleWriter = false };
        inbox = batcher.WriterThreadQueueCapacity > 0
            ? Channel.CreateBounded<WriterMessage>(new BoundedChannelOptions(batcher.WriterThreadQueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait })
            : Channel.CreateUnbounded<WriterMessage>(options);
        Completion = Task.Run(RunAsync, CancellationToken.None);
    }

    /// <summary>Ends when the writer stopped: after <see cref="Complete"/> and a last flush, or when stopped hard.</summary>
    public Task Completion { get; }

    /// <summary>Queues an item; waits while the queue is full (bounded capacity).</summary>
    public ValueTask EnqueueAsync(PendingItem item, CancellationToken token) => inbox.Writer.WriteAsync(item, token);

    /// <summary>Flushes every batch queued before this call; ends when kvdb acknowledged them.</summary>
    public async Task FlushAsync(CancellationToken token)
    {
        var request = new FlushRequest();
        await inbox.Writer.WriteAsync(request, token).ConfigureAwait(false);
        await request.Done.Task.WaitAsync(token).ConfigureAwait(false);
    }

    /// <summary>Takes no more items; the writer flushes what it holds and ends.</summary>
    public void Complete() => inbox.Writer.TryComplete();

    private async Task RunAsync()
    {
        try
        {
            var reader = inbox.Reader;
            Task<bool>? waiting = null;
            var nextCheck = Stopwatch.GetTimestamp() + Ticks(batcher.BatchCheckInterval);
            while (true)
            {
                stop.ThrowIfCancellationRequested();
                while (reader.TryRead(out var message))
                {
                    if (message is PendingItem item)
                        await AddAsync(item).ConfigureAwait(false);
                    else if (message is FlushRequest flush)
                    {
                        await FlushAllAsync().ConfigureAwait(false);
                        flush.Done.TrySetResult();
                    }
                }

                if (Stopwatch.GetTimestamp() >= nextCheck)
                {
                    await FlushAgedAsync().ConfigureAwait(false);
                    nextCheck = Stopwatch.GetTimestamp() + Ticks(batcher.BatchCheckInterval);
                }

                waiting ??= reader.WaitToReadAsync(stop).AsTask();
                var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), nextCheck);
                if (!waiting.IsCompleted && left > TimeSpan.Zero)
                    await Task.WhenAny(waiting, Task.Delay(left, stop)).ConfigureAwait(false);
                if (!waiting.IsCompleted)
                    continue;
                if (!waiting.IsCompletedSuccessfully || !waiting.Result)
                {
                    stop.ThrowIfCancellationRequested();
                    await FlushAllAsync().ConfigureAwait(false);
                    return;
                }

                waiting = null;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped hard: what this writer holds was never committed and will be replayed.
        }
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private async Task AddAsync(PendingItem item)
    {
        if (!batches.TryGetValue(item.List, out var batch))
        {
            batch = new Batch(Stopwatch.GetTimestamp());
            batches.Add(item.List, batch);
        }

        batch.Items.Add(item);
        batch.Bytes += item.Size;
        if (batch.Items.Count >= batcher.BatchFlushItemCountThreshold || batch.Bytes >= batcher.BatchFlushSizeThreshold)
        {
            batches.Remove(item.List);
            await WriteAsync(item.List, batch.Items).ConfigureAwait(false);
        }
    }

    private async Task FlushAgedAsync()
    {
        if (batches.Count == 0)
            return;
        var now = Stopwatch.GetTimestamp();
        var aged = batches.Where(b => Stopwatch.GetElapsedTime(b.Value.Started, now) >= batcher.BatchFlushInterval).Select(static b => b.Key).ToList();
        foreach (var list in aged)
        {
            var batch = batches[list];
            batches.Remove(list);
            await WriteAsync(list, batch.Items).ConfigureAwait(false);
        }
    }

    private async Task FlushAllAsync()
    {
        foreach (var list in batches.Keys.ToList())
        {
            var batch = batches[list];
            batches.Remove(list);
            await WriteAsync(list, batch.Items).ConfigureAwait(false);
        }
    }

    // One batch, in appends of at most 10,000 items and max_append_bytes bytes of values.
    private async Task WriteAsync(ListId list, List<PendingItem> items)
    {
        var start = 0;
        while (start < items.Count)
        {
            var end = start;
            long bytes = 0;
            while (end < items.Count && end - start < MaxItemsPerAppend && (end == start || bytes + items[end].Size <= kvdb.MaxAppendBytes))
                bytes += items[end++].Size;
            await AppendAsync(list, items.GetRange(start, end - start)).ConfigureAwait(false);
            start = end;
        }
    }

    private async Task AppendAsync(ListId list, List<PendingItem> items)
    {
        var started = Stopwatch.GetTimestamp();
        var backoff = TimeSpan.FromMilliseconds(100);
        var createTried = false;
        var values = items.ConvertAll(static i => i.Item);
        while (true)
        {
            stop.ThrowIfCancellationRequested();
            string problem;
            try
            {
                var result = await sink.AppendAsync(list.Keyspace, list.Key, values, stop).ConfigureAwait(false);
                metrics.BatchWritten(list.DeadLetter ? 0 : result.Appended, result.Skipped, list.DeadLetter ? result.Appended : 0, Stopwatch.GetElapsedTime(started));
                foreach (var item in items)
                    item.Progress.Acknowledged(item.Offset);
                return;
            }
            catch (KvUnavailableException e)
            {
                problem = e.Message;
            }
            catch (KvException e) when (e.StatusCode is HttpStatusCode.NotFound && kvdb.CreateKeyspaces && !createTried)
            {
                createTried = true;
                if (await CreateKeyspaceAsync(list.Keyspace).ConfigureAwait(false) is { } refusal)
                {
                    await RefuseAsync(list, items, $"kvdb refused to create keyspace {list.Keyspace}: {refusal}").ConfigureAwait(false);
                    return;
                }

                continue;
            }
            catch (KvException e) when (e.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.NotFound)
            {
                await RefuseAsync(list, items, $"kvdb answered {(int)e.StatusCode}: {e.Detail ?? e.Title ?? e.Message}").ConfigureAwait(false);
                return;
            }
            catch (KvException e)
            {
                problem = $"{(int)e.StatusCode} {e.Detail ?? e.Title ?? e.Message}";
            }
            catch (HttpRequestException e)
            {
                problem = e.Message;
            }

            await log.WriteLineAsync($"kafka-bridge: writer {index}: append of {items.Count} items to {list} failed ({problem}); retrying in {backoff.TotalMilliseconds:0} ms").ConfigureAwait(false);
            await Task.Delay(backoff, stop).ConfigureAwait(false);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    private async Task<string?> CreateKeyspaceAsync(string keyspace)
    {
        if (keyspacesCreated.Contains(keyspace))
            return null;
        var backoff = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                await sink.CreateKeyspaceAsync(keyspace, stop).ConfigureAwait(false);
                keyspacesCreated.Add(keyspace);
                await log.WriteLineAsync($"kafka-bridge: created keyspace {keyspace}").ConfigureAwait(false);
                return null;
            }
            catch (KvUnavailableException e)
            {
                await log.WriteLineAsync($"kafka-bridge: creating keyspace {keyspace} failed ({e.Message}); retrying").ConfigureAwait(false);
            }
            catch (KvException e)
            {
                return $"{(int)e.StatusCode} {e.Detail ?? e.Title ?? e.Message}";
            }

            await Task.Delay(backoff, stop).ConfigureAwait(false);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    // kvdb refused the append: alone, each item is tried again; an item refused alone goes to its dead-letter list.
    private async Task RefuseAsync(ListId list, List<PendingItem> items, string reason)
    {
        if (items.Count > 1)
        {
            foreach (var item in items)
                await AppendAsync(list, [item]).ConfigureAwait(false);
            return;
        }

        var refused = items[0];
        if (list.DeadLetter)
        {
            // Nowhere left to put it: retry until an operator fixes the dead-letter keyspace (the partition waits, visibly).
            await log.WriteLineAsync($"kafka-bridge: writer {index}: the dead-letter list {list} refused offset {refused.Offset}: {reason}; retrying").ConfigureAwait(false);
            await Task.Delay(MaxBackoff, stop).ConfigureAwait(false);
            await AppendAsync(list, items).ConfigureAwait(false);
            return;
        }

        await log.WriteLineAsync($"kafka-bridge: {refused.Topic}/{refused.Progress.Partition.Partition.Value} offset {refused.Offset} dead-lettered: {reason}").ConfigureAwait(false);
        var deadList = DeadLetters.ListOf(deadLetterKeyspace, refused.Topic, refused.Progress.Partition.Partition.Value);
        var dead = new PendingItem(deadList, DeadLetters.ForRefused(refused, reason), refused.Progress, refused.Topic, refused.Offset);
        await AppendAsync(deadList, [dead]).ConfigureAwait(false);
    }

    private sealed class Batch(long started)
    {
        public long Started { get; } = started;

        public List<PendingItem> Items { get; } = [];

        public long Bytes { get; set; }
    }
}
