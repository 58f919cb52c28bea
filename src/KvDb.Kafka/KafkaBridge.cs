// The consume loop of kvdb kafka-bridge (klstore's KafkaConsumerBridge): one consumer of the
// group, its records parsed into list items and handed to the writer that owns each list.
// Invariants:
//  - enable.auto.commit is false: offsets are committed only here, each partition's up to the
//    longest acknowledged prefix of what it consumed (PartitionProgress), every
//    offset_commit_interval_seconds, on revocation and at shutdown. A crash loses no record:
//    what was not committed is consumed again by the partition's next owner, and the nonces
//    (by default the record's offset) make kvdb skip what was already appended.
//  - On revocation the writers flush and the revoked partitions are committed before the
//    handler returns, so the next owner starts where this one's acknowledged writes end.
//  - A record the parsers cannot read is dead-lettered in its turn (it is acknowledged like any
//    other), so it never holds its partition back.
//  - The consumer is used from one thread only (the loop's; librdkafka calls the rebalance
//    handlers from inside Consume and Close on that thread).
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;
using Confluent.Kafka;
using KvDb.Client;

namespace KvDb.Kafka;

/// <summary>One bridge: a consumer of the group and its writers.</summary>
internal sealed class KafkaBridge
{
    private const int MaxKeyBytes = 4096;
    private static readonly long MaxTimestampMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    private readonly BridgeSettings settings;
    private readonly IListSink sink;
    private readonly TextWriter log;
    private readonly ConcurrentDictionary<TopicPartition, PartitionProgress> partitions = new();

    /// <summary>A bridge writing to <paramref name="sink"/>, logging to <paramref name="log"/>.</summary>
    public KafkaBridge(BridgeSettings settings, IListSink sink, TextWriter log)
    {
        this.settings = settings;
        this.sink = sink;
        this.log = log;
        Metrics = new BridgeMetrics(CommitLags);
    }

    /// <summary>Its counters.</summary>
    public BridgeMetrics Metrics { get; }

    /// <summary>The consumer configuration: [kafka]'s properties and the two the bridge fixes.</summary>
    public static ConsumerConfig ConsumerConfig(KafkaSettings kafka)
    {
        var config = new ConsumerConfig(kafka.Properties.ToDictionary(static p => p.Key, static p => p.Value));
        foreach (var (name, value) in BridgeSettings.FixedKafkaProperties)
            config.Set(name, value);
        return config;
    }

    /// <summary>
    /// Consumes until <paramref name="stop"/> (SIGTERM: flush, commit, leave the group) or
    /// <paramref name="abort"/> (give up on what is not written; it will be replayed).
    /// </summary>
    public Task RunAsync(CancellationToken stop, CancellationToken abort)
        => Task.Factory.StartNew(() => Run(stop, abort), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken stop, CancellationToken abort)
    {
        using var writersStop = CancellationTokenSource.CreateLinkedTokenSource(abort);
        var writers = new ListWriter[settings.Batcher.WriterThreadCount];
        for (var i = 0; i < writers.Length; i++)
            writers[i] = new ListWriter(i, settings.Batcher, settings.Kvdb, settings.Parser.DeadLetterKeyspace, sink, Metrics, log, writersStop.Token);

        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(ConsumerConfig(settings.Kafka))
            .SetPartitionsAssignedHandler((_, assigned) => Assigned(assigned))
            .SetPartitionsRevokedHandler((c, revoked) => Revoked(c, revoked, writers, abort))
            .SetPartitionsLostHandler((_, lost) => Lost(lost))
            .SetErrorHandler((_, e) => log.WriteLine($"kafka-bridge: kafka: {e.Reason}{(e.IsFatal ? " (fatal)" : "")}"))
            .SetLogHandler((_, m) =>
            {
                if (m.Level is SyslogLevel.Warning or SyslogLevel.Critical or SyslogLevel.Alert or SyslogLevel.Emergency) // errors reach the error handler
                    log.WriteLine($"kafka-bridge: librdkafka {m.Level}: {m.Message}");
            })
            .Build();
        consumer.Subscribe(settings.Kafka.Topics);
        log.WriteLine($"kafka-bridge: consuming {string.Join(", ", settings.Kafka.Topics)} as group {settings.Kafka.Properties["group.id"]} with {writers.Length} writer(s)");

        var nextCommit = DateTime.UtcNow + settings.Kafka.OffsetCommitInterval;
        try
        {
            while (!stop.IsCancellationRequested && !abort.IsCancellationRequested)
            {
                ConsumeResult<byte[]?, byte[]?>? record;
                try
                {
                    record = consumer.Consume(settings.Batcher.BatchCheckInterval);
                }
                catch (ConsumeException e) when (!e.Error.IsFatal)
                {
                    log.WriteLine($"kafka-bridge: consume: {e.Error.Reason}");
                    continue;
                }

                if (record is { IsPartitionEOF: false, Message: not null })
                    Handle(record, writers, stop);
                if (DateTime.UtcNow >= nextCommit)
                {
                    Commit(consumer, partitions.Values);
                    nextCommit = DateTime.UtcNow + settings.Kafka.OffsetCommitInterval;
                }
            }

            if (!abort.IsCancellationRequested)
            {
                // SIGTERM: what was consumed is written and committed before the group is left.
                FlushAll(writers, abort);
                Commit(consumer, partitions.Values);
                consumer.Close();
                log.WriteLine($"kafka-bridge: stopped: {Metrics.Consumed} consumed, {Metrics.Appended} appended, {Metrics.Skipped} skipped as duplicates, {Metrics.DeadLettered} dead-lettered");
            }
        }
        finally
        {
            foreach (var writer in writers)
                writer.Complete();
            if (abort.IsCancellationRequested)
                writersStop.Cancel();
            Task.WaitAll(writers.Select(static w => w.Completion).ToArray(), CancellationToken.None);
        }
    }

    private void Handle(ConsumeResult<byte[]?, byte[]?> record, ListWriter[] writers, CancellationToken stop)
    {
        Metrics.RecordConsumed();
        var progress = partitions.GetOrAdd(record.TopicPartition, static tp => new PartitionProgress(tp));
        var view = new RecordView(record.Topic, record.Partition.Value, record.Offset.Value, record.Message.Key, record.Message.Headers);
        var item = Parse(view, record, progress, out var reason);
        if (item is null)
        {
            log.WriteLine($"kafka-bridge: {record.TopicPartitionOffset} dead-lettered: {reason}");
            var list = DeadLetters.ListOf(settings.Parser.DeadLetterKeyspace, record.Topic, record.Partition.Value);
            item = new PendingItem(list, DeadLetters.ForRecord(record, reason!), progress, record.Topic, record.Offset.Value);
        }

        progress.Consumed(record.Offset.Value);
        var queued = writers[item.List.Writer(writers.Length)].EnqueueAsync(item, stop);
        if (!queued.IsCompletedSuccessfully)
        {
            try
            {
                queued.AsTask().GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                // Stopping while the writer's queue is full: the record stays unacknowledged, so
                // no commit passes it and the next owner consumes it again.
            }
        }
    }

    private PendingItem? Parse(in RecordView view, ConsumeResult<byte[]?, byte[]?> record, PartitionProgress progress, out string? reason)
    {
        var parser = settings.Parser;
        reason = null;
        var keyspace = parser.Keyspace.Parse(view);
        if (keyspace is null)
        {
            reason = $"keyspace_parser {parser.Keyspace} found nothing";
            return null;
        }

        var key = parser.Key.Parse(view);
        if (key is null || Encoding.UTF8.GetByteCount(key) > MaxKeyBytes)
        {
            reason = key is null ? $"key_parser {parser.Key} found nothing" : $"key_parser {parser.Key} gave a key over {MaxKeyBytes} bytes";
            return null;
        }

        if (!parser.Nonce.TryParse(view, out var nonce))
        {
            reason = $"nonce_parser {parser.Nonce} found no number";
            return null;
        }

        if (!parser.Timestamp.TryParse(view, out var timestamp) || timestamp > (UInt128)MaxTimestampMs)
        {
            reason = $"timestamp_parser {parser.Timestamp} found no timestamp (Unix milliseconds)";
            return null;
        }

        var value = record.Message.Value ?? [];
        if (value.Length > settings.Kvdb.MaxAppendBytes)
        {
            reason = $"the value's {value.Length} bytes exceed [kvdb] max_append_bytes";
            return null;
        }

        var at = timestamp is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds((long)ms) : (DateTimeOffset?)null;
        return new PendingItem(new ListId(keyspace, key), new ListAppendItem(value, nonce, at), progress, view.Topic, view.Offset);
    }

    private void Assigned(List<TopicPartition> assigned)
    {
        foreach (var partition in assigned)
        {
            var fresh = new PartitionProgress(partition);
            partitions.AddOrUpdate(partition, fresh, (_, old) =>
            {
                old.Released = true;
                return fresh;
            });
        }

        log.WriteLine($"kafka-bridge: assigned {Describe(assigned)}");
    }

    private void Revoked(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartitionOffset> revoked, ListWriter[] writers, CancellationToken abort)
    {
        // Everything consumed is written, and the revoked partitions committed, before they go.
        var owned = revoked.Select(r => partitions.TryGetValue(r.TopicPartition, out var p) ? p : null).OfType<PartitionProgress>().ToList();
        if (!abort.IsCancellationRequested)
        {
            FlushAll(writers, abort);
            Commit(consumer, owned);
        }

        foreach (var progress in owned)
        {
            progress.Released = true;
            partitions.TryRemove(new KeyValuePair<TopicPartition, PartitionProgress>(progress.Partition, progress));
        }

        log.WriteLine($"kafka-bridge: revoked {Describe(revoked.Select(static r => r.TopicPartition))}");
    }

    private void Lost(List<TopicPartitionOffset> lost)
    {
        // Another member may own them already: committing now could move its offsets; the
        // writes still in flight are harmless (their nonces are skipped if it wrote them first).
        foreach (var partition in lost)
        {
            if (partitions.TryRemove(partition.TopicPartition, out var progress))
                progress.Released = true;
        }

        log.WriteLine($"kafka-bridge: lost {Describe(lost.Select(static r => r.TopicPartition))}");
    }

    private static void FlushAll(ListWriter[] writers, CancellationToken abort)
    {
        try
        {
            Task.WaitAll(writers.Select(w => w.FlushAsync(abort)).ToArray(), abort);
        }
        catch (OperationCanceledException)
        {
        }
        catch (AggregateException e) when (e.InnerExceptions.All(static x => x is OperationCanceledException))
        {
        }
    }

    private void Commit(IConsumer<byte[]?, byte[]?> consumer, IEnumerable<PartitionProgress> progress)
    {
        var offsets = progress.Where(static p => !p.Released).Select(static p => p.TakeCommit()).OfType<TopicPartitionOffset>().ToList();
        if (offsets.Count == 0)
            return;
        try
        {
            consumer.Commit(offsets);
            foreach (var offset in offsets)
            {
                if (partitions.TryGetValue(offset.TopicPartition, out var p))
                    p.MarkCommitted(offset.Offset.Value);
            }
        }
        catch (KafkaException e)
        {
            // Not fatal: the offsets are committed by a later commit, or replayed (and skipped) by the next owner.
            log.WriteLine($"kafka-bridge: commit of {string.Join(", ", offsets)} failed: {e.Error.Reason}");
        }
    }

    private IEnumerable<Measurement<long>> CommitLags()
    {
        foreach (var (partition, progress) in partitions)
            yield return new Measurement<long>(progress.CommitLag, new KeyValuePair<string, object?>("topic", partition.Topic), new KeyValuePair<string, object?>("partition", partition.Partition.Value));
    }

    private static string Describe(IEnumerable<TopicPartition> partitions)
    {
        var text = string.Join(", ", partitions.Select(static p => $"{p.Topic}/{p.Partition.Value}"));
        return text.Length == 0 ? "nothing" : text;
    }
}
