// `kvdb bench kafka`: the Kafka bridge measured from topic to acknowledged lists (see
// KafkaBenchCommandLine's help). One mock Kafka cluster for the whole run, one keyspace
// bench-kafka-XXXXXXXX (deleted at the end), and per record size and writer count: a topic of its
// own, a bridge process of its own, a throughput phase and a lag phase.
// Invariants:
//  - stdout carries only the report (table or JSON); progress and warnings go to stderr.
//  - Records of run r use keys r{r}-k{i} (throughput) and r{r}-lag{j} (lag), so no list is fed by
//    two topics: the bridge's nonce is the record's offset, which restarts at 0 in every topic.
//  - Throughput counts from the first record the bridge reports consumed to the scrape where
//    appended + skipped + dead-lettered reach the records produced (its metrics count a record
//    only once kvdb acknowledged it); the scrape interval bounds the error. The backlog is kept
//    within what the mock cluster retains (see Window), topped up as the bridge consumes.
//  - Lag is measured in this process on one monotonic clock: a record carries the time it was
//    produced in its first 8 bytes and a reader following its list takes the difference.
//  - A run passes only when the keyspace holds exactly the records produced so far (none lost,
//    none doubled) and the bridge dead-lettered none.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Confluent.Kafka;
using HdrHistogram;
using KvDb.Client;

namespace KvDb.Bench;

/// <summary>Runs <c>kvdb bench kafka</c>.</summary>
public static class KafkaBenchCommand
{
    private static readonly TimeSpan ScrapeInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Runs with <paramref name="options"/>, printing to the console; returns the exit code.</summary>
    public static Task<int> RunAsync(KafkaBenchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return BenchConsole.RunAsync(async stop =>
        {
            var result = await RunAsync(options, Console.Error, stop);
            Console.Out.Write(options.Json ? result.Json() : result.Table());
            return result.Failures.Count == 0 ? 0 : 1;
        });
    }

    /// <summary>Runs every size and writer count, logging progress to <paramref name="log"/>.</summary>
    public static async Task<KafkaBenchResult> RunAsync(KafkaBenchOptions options, TextWriter log, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        var keyspace = "bench-kafka-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var result = new KafkaBenchResult { Options = options, Keyspace = keyspace };
        var clientOptions = new KvClientOptions();
        foreach (var endpoint in options.Endpoints)
            clientOptions.Endpoints.Add(endpoint);
        using var client = new KvClient(clientOptions);
        using var kafka = MockKafkaCluster.Start();
        try
        {
            await client.CreateKeyspaceAsync(keyspace, stop);
            var run = 0;
            foreach (var size in options.RecordSizes)
            {
                foreach (var writers in options.Writers)
                {
                    run++;
                    await log.WriteLineAsync($"run {run}: {size}-byte records, {writers} writer{(writers == 1 ? "" : "s")}");
                    var one = new Run(options, kafka, client, keyspace, run, size, writers, log);
                    try
                    {
                        result.Runs.Add(await one.ExecuteAsync(stop));
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
                    {
                        result.Failures.Add($"run {run} ({size} B, {writers} writers): {e.Message}");
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            result.Failures.Add("stopped by Ctrl+C");
        }
        finally
        {
            try
            {
                using var cleanup = new CancellationTokenSource(options.Timeout);
                await client.DeleteKeyspaceAsync(keyspace, cleanup.Token);
            }
            catch (Exception e) when (e is KvException or OperationCanceledException)
            {
                await log.WriteLineAsync($"warning: keyspace {keyspace} was not deleted: {e.Message}");
            }
        }

        return result;
    }

    /// <summary>The time since the first call, in microseconds: the clock records carry.</summary>
    private static long NowMicroseconds() => (long)Stopwatch.GetElapsedTime(Epoch).TotalMicroseconds;

    private static readonly long Epoch = Stopwatch.GetTimestamp();

    private sealed class Run(KafkaBenchOptions options, MockKafkaCluster kafka, KvClient client, string keyspace, int run, int size, int writers, TextWriter log)
    {
        private readonly string topic = $"bench-{run}";
        private long undelivered;

        /// <summary>Records this run produced (all of them, when it got that far).</summary>
        public long Produced { get; private set; }

        public async Task<KafkaRunResult> ExecuteAsync(CancellationToken stop)
        {
            // Counted here rather than summed over the runs: a run that failed (its bridge gone
            // before it landed everything) must not make every later run look lossy.
            var landedBefore = (await client.GetKeyspaceAsync(keyspace, stop))?.Items ?? 0;
            kafka.CreateTopic(topic, options.Partitions);
            using var producer = kafka.Producer();
            ProduceUpTo(producer, Math.Min(options.Records, Window));
            var metricsPort = FreePort();
            using var bridge = BridgeProcess.Start(Config(metricsPort), log);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}") };
            var (seconds, counts) = await DrainAsync(http, bridge, producer, stop);
            var lag = options.LagRate > 0 ? await LagAsync(producer, http, bridge, stop) : null;
            var items = (await client.GetKeyspaceAsync(keyspace, stop))?.Items ?? 0;
            var after = await ScrapeAsync(http, stop);
            if (items != landedBefore + Produced)
                throw new InvalidOperationException($"the keyspace holds {items - landedBefore} of this run's {Produced} records: {(items > landedBefore + Produced ? "some doubled" : "some lost")}");
            if (after.DeadLettered > 0)
                throw new InvalidOperationException($"the bridge dead-lettered {after.DeadLettered} records");
            return new KafkaRunResult(size, writers, options.Records, seconds, options.Records / seconds, options.Records * (double)size / (1 << 20) / seconds, counts.Batches, counts.Skipped, lag);
        }

        // librdkafka's mock keeps only about the last 5 MB (and 100,000 records) of a partition:
        // records produced further ahead of the bridge would be gone before it read them. So the
        // throughput phase keeps at most this many records ahead of the bridge, topping up as it
        // consumes (from this process, which shares the cores like a producer on the same host).
        private long Window => Math.Max(options.Partitions, options.Partitions * Math.Min(50_000L, (4L << 20) / size));

        private void ProduceUpTo(IProducer<byte[]?, byte[]?> producer, long target)
        {
            var value = new byte[size];
            RandomNumberGenerator.Fill(value);
            while (Produced < target)
                Send(producer, $"r{run}-k{Produced % options.Keys}", value);
            FlushOrThrow(producer);
        }

        // librdkafka copies the value in Produce, so one array serves every record.
        private void Send(IProducer<byte[]?, byte[]?> producer, string key, byte[] value)
        {
            BinaryPrimitives.WriteInt64BigEndian(value, NowMicroseconds());
            while (true)
            {
                try
                {
                    producer.Produce(topic, new Message<byte[]?, byte[]?> { Key = Encoding.UTF8.GetBytes(key), Value = value }, OnDelivery);
                    Produced++;
                    return;
                }
                catch (ProduceException<byte[]?, byte[]?> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(100));
                }
            }
        }

        private void OnDelivery(DeliveryReport<byte[]?, byte[]?> report)
        {
            if (report.Error.IsError)
                Interlocked.Increment(ref undelivered);
        }

        private void FlushOrThrow(IProducer<byte[]?, byte[]?> producer)
        {
            if (producer.Flush(options.Timeout) > 0 || Interlocked.Read(ref undelivered) > 0)
                throw new InvalidOperationException($"{Interlocked.Read(ref undelivered)} records were not delivered to the mock Kafka cluster (or some still queued after {options.Timeout})");
        }

        private async Task<(double Seconds, BridgeCounts Counts)> DrainAsync(HttpClient http, BridgeProcess bridge, IProducer<byte[]?, byte[]?> producer, CancellationToken stop)
        {
            var expected = (long)options.Records;
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
            deadline.CancelAfter(options.Timeout);
            long? started = null;
            while (true)
            {
                bridge.ThrowIfExited();
                var counts = await ScrapeAsync(http, deadline.Token);
                if (started is null && counts.Consumed > 0)
                    started = Stopwatch.GetTimestamp();
                if (Produced < expected && Produced - counts.Consumed < Window / 2)
                    ProduceUpTo(producer, Math.Min(expected, counts.Consumed + Window));
                if (counts.Landed >= expected)
                    return (Stopwatch.GetElapsedTime(started ?? Stopwatch.GetTimestamp()).TotalSeconds is var s && s > 0 ? s : ScrapeInterval.TotalSeconds, counts);
                if (deadline.IsCancellationRequested)
                    throw new TimeoutException($"after {options.Timeout}: {counts.Landed} of {expected} records landed ({counts.Consumed} consumed)");
                await Task.Delay(ScrapeInterval, deadline.Token).ContinueWith(static _ => { }, TaskScheduler.Default);
            }
        }

        private async Task<KafkaLagResult> LagAsync(IProducer<byte[]?, byte[]?> producer, HttpClient http, BridgeProcess bridge, CancellationToken stop)
        {
            var keys = options.LagKeys;
            var expected = new long[keys];
            var seen = new long[keys];
            var histograms = new HistogramBase[keys];
            using var readers = CancellationTokenSource.CreateLinkedTokenSource(stop);
            var follows = new Task[keys];
            var done = new TaskCompletionSource[keys];
            for (var j = 0; j < keys; j++)
            {
                histograms[j] = LatencyRecorder.NewHistogram(TimeSpan.FromHours(1).Ticks / 10);
                done[j] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                expected[j] = long.MaxValue;
                follows[j] = FollowAsync(j, histograms[j], expected, seen, done[j], readers.Token);
            }

            var before = Produced;
            var total = Math.Max(1, (long)(options.LagRate * options.LagDuration.TotalSeconds));
            var value = new byte[size];
            RandomNumberGenerator.Fill(value);
            var start = Stopwatch.GetTimestamp();
            var counts = new long[keys];
            for (var i = 0L; i < total; i++)
            {
                // Paced by the clock, not by sleeping a fixed time per record: late records are sent at once.
                var due = TimeSpan.FromSeconds(i / (double)options.LagRate);
                if (Stopwatch.GetElapsedTime(start) < due)
                    await Task.Delay(due - Stopwatch.GetElapsedTime(start) is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero, stop);
                var j = (int)(i % keys);
                counts[j]++;
                Send(producer, $"r{run}-lag{j}", value);
            }

            FlushOrThrow(producer);
            // A reader that already saw all of its records before knowing how many to expect
            // is told here: each side publishes its count, then reads the other's.
            for (var j = 0; j < keys; j++)
            {
                Interlocked.Exchange(ref expected[j], counts[j]);
                if (Interlocked.Read(ref seen[j]) >= counts[j])
                    done[j].TrySetResult();
            }
            var all = Task.WhenAll(done.Select(static d => d.Task));
            if (await Task.WhenAny(all, Task.Delay(options.Timeout, stop)) != all)
            {
                bridge.ThrowIfExited();
                var landed = (await ScrapeAsync(http, stop)).Landed;
                throw new TimeoutException($"after {options.Timeout} the readers had not seen every lag record ({landed - before} of {total} landed by the bridge's count)");
            }

            await all; // a reader that failed fails the run
            readers.Cancel();
            await Task.WhenAll(follows).ContinueWith(static _ => { }, TaskScheduler.Default);
            var merged = LatencyRecorder.NewHistogram(TimeSpan.FromHours(1).Ticks / 10);
            foreach (var h in histograms)
                merged.Add(h);
            return new KafkaLagResult(options.LagRate, total, LatencySummary.Of(merged));
        }

        private async Task FollowAsync(int j, HistogramBase histogram, long[] expected, long[] seen, TaskCompletionSource done, CancellationToken token)
        {
            try
            {
                await foreach (var item in client.FollowListAsync(keyspace, $"r{run}-lag{j}", 0, token))
                {
                    var lag = NowMicroseconds() - BinaryPrimitives.ReadInt64BigEndian(item.Value);
                    histogram.RecordValue(Math.Max(1, lag));
                    if (Interlocked.Increment(ref seen[j]) >= Interlocked.Read(ref expected[j]))
                        done.TrySetResult();
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
            catch (Exception e) when (e is KvException or HttpRequestException)
            {
                done.TrySetException(e);
            }
        }

        // fetch.wait.max.ms: librdkafka's mock holds a fetch for its whole wait even when records
        // arrive meanwhile (a real broker answers once fetch.min.bytes is there), which put the
        // default 500 ms into every record's lag.
        private string Config(int metricsPort)
        {
            var endpoints = string.Join(", ", options.Endpoints.Select(static e => $"\"{e.ToString().TrimEnd('/')}\""));
            var flush = (long)options.FlushInterval.TotalMilliseconds;
            return string.Create(CultureInfo.InvariantCulture, $"""
                [kvdb]
                endpoints = [{endpoints}]

                [batcher]
                writer_thread_count = {writers}
                batch_check_interval_millis = {Math.Min(100, flush)}
                batch_flush_interval_millis = {flush}

                [kafka]
                topic = "{topic}"
                group.id = "{topic}"
                bootstrap.servers = "{kafka.BootstrapServers}"
                auto.offset.reset = earliest
                fetch.wait.max.ms = 10

                [parser]
                keyspace_parser = "Static({keyspace})"
                key_parser = "RecordKey"
                nonce_parser = "RecordOffset"

                [metrics]
                listen = "127.0.0.1:{metricsPort}"
                """);
        }
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static async Task<BridgeCounts> ScrapeAsync(HttpClient http, CancellationToken token)
    {
        string text;
        try
        {
            text = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative), token);
        }
        catch (HttpRequestException)
        {
            return default; // not listening yet
        }

        return new BridgeCounts(
            Sum(text, "kvdb_kafka_bridge_records_consumed"),
            Sum(text, "kvdb_kafka_bridge_records_appended"),
            Sum(text, "kvdb_kafka_bridge_records_skipped"),
            Sum(text, "kvdb_kafka_bridge_records_dead_lettered"),
            Sum(text, "kvdb_kafka_bridge_batches"));
    }

    // Prometheus text: "name{labels} value" or "name_total value" lines; comments start with #.
    private static long Sum(string text, string name)
    {
        var sum = 0.0;
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length == name.Length)
                continue;
            var rest = line[name.Length..];
            if (rest[0] is not (' ' or '{') && !rest.StartsWith("_total", StringComparison.Ordinal))
                continue;
            var space = line.LastIndexOf(' ');
            if (double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                sum += value;
        }

        return (long)sum;
    }

    private readonly record struct BridgeCounts(long Consumed, long Appended, long Skipped, long DeadLettered, long Batches)
    {
        public long Landed => Appended + Skipped + DeadLettered;
    }
}
