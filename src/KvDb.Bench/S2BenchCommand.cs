// `kvdb bench s2`: S2's workloads over S2's API (see S2BenchCommandLine's help). Creates a basin
// bench-XXXXXXXX and a fresh stream per run, runs the workloads asked for in order (append at
// each --sessions count, tail, catch-up), deletes the basin, and prints the report.
// Invariants:
//  - stdout carries only the report (table or JSON); progress and warnings go to stderr.
//  - Throughput and ack latency count the acks that arrive inside the measured window
//    [warm-up end, warm-up end + duration); the acks still due when sending stops are awaited
//    (up to --timeout) so every session ends cleanly, but not counted.
//  - Ack-to-reader latency matches records by sequence number between the writer's acks and the
//    reader's batches, in one process with one clock; it is measured for records whose ack
//    arrived inside the window.
//  - Exit codes: 0 every workload ran without a failure, 1 a failure (set-up, a session ended
//    with an error, the catch-up read came up short), 2 bad command line; Ctrl+C once stops the
//    run and still reports what was measured.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using HdrHistogram;

namespace KvDb.Bench;

/// <summary>Runs <c>kvdb bench s2</c>.</summary>
public static class S2BenchCommand
{
    private const int FillSessions = 4;
    private static readonly TimeSpan DeleteTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Runs with <paramref name="options"/>, printing to the console; returns the exit code.</summary>
    public static Task<int> RunAsync(S2BenchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return BenchConsole.RunAsync(async stop =>
        {
            var result = await RunAsync(options, Console.Error, stop);
            Console.Out.Write(options.Json ? result.Json() : result.Table());
            return result.Failures.Count == 0 ? 0 : 1;
        });
    }

    /// <summary>Runs the workloads, logging progress to <paramref name="log"/>.</summary>
    public static async Task<S2BenchResult> RunAsync(S2BenchOptions options, TextWriter log, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        var basin = "bench-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var result = new S2BenchResult { Options = options, Basin = basin };
        using var http = new S2Http(options);
        var run = new Run(options, http, basin, log, result);
        await log.WriteLineAsync($"bench s2: {string.Join(',', options.Endpoints)}; basin {basin}; {options.RecordSize}-byte records, {options.Batch} per append, {options.Inflight} in flight per session");
        try
        {
            await http.CallAsync(HttpMethod.Post, new Uri(options.Endpoints[0], "v1/basins"), null, $"{{\"basin\":\"{basin}\"}}", HttpStatusCode.Created, stop);
            if (options.Workloads.HasFlag(S2Workloads.Append))
            {
                foreach (var sessions in options.Sessions)
                {
                    if (!stop.IsCancellationRequested)
                        result.Append.Add(await run.AppendAsync(sessions, stop));
                }
            }

            if (options.Workloads.HasFlag(S2Workloads.Tail) && !stop.IsCancellationRequested)
                result.Tail = await run.TailAsync(stop);
            if (options.Workloads.HasFlag(S2Workloads.CatchUp) && !stop.IsCancellationRequested)
                result.CatchUp = await run.CatchUpAsync(stop);
        }
        catch (S2BenchException e)
        {
            result.Failures.Add(e.Message);
        }
        finally
        {
            try
            {
                await log.WriteLineAsync($"bench s2: deleting basin {basin}");
                using var deadline = new CancellationTokenSource(DeleteTimeout);
                await http.CallAsync(HttpMethod.Delete, new Uri(options.Endpoints[0], "v1/basins/" + basin), null, null, HttpStatusCode.Accepted, deadline.Token);
            }
            catch (S2BenchException e)
            {
                await log.WriteLineAsync($"bench s2: warning: the basin was not deleted: {e.Message}");
            }
        }

        return result;
    }

    private sealed class Run(S2BenchOptions options, S2Http http, string basin, TextWriter log, S2BenchResult result)
    {
        private readonly long highestMicroseconds = (long)Math.Max(10_000_000, 2 * (options.Warmup + options.Duration + options.Timeout).TotalMicroseconds);

        private byte[] AppendFrame(int records)
        {
            var body = new byte[options.RecordSize];
            body.AsSpan().Fill((byte)'x');
            return S2sCodec.AppendInputFrame([.. Enumerable.Repeat(new S2AppendRecord(body), records)]);
        }

        private async Task<Uri> StreamAsync(string name, CancellationToken stop)
        {
            await http.CallAsync(HttpMethod.Post, new Uri(options.Endpoints[0], "v1/streams"), basin, $"{{\"stream\":\"{name}\"}}", HttpStatusCode.Created, stop);
            return new Uri($"v1/streams/{name}/records", UriKind.Relative);
        }

        public async Task<S2AppendResult> AppendAsync(int sessions, CancellationToken stop)
        {
            var frame = AppendFrame(options.Batch);
            var clients = new S2AppendSessionClient[sessions];
            var histograms = new HistogramBase[sessions];
            var measured = new long[sessions];
            var window = RunWindow.StartingNow(options.Warmup, options.Duration);
            for (var i = 0; i < sessions; i++)
            {
                var records = await StreamAsync($"append-{sessions}-{i}", stop);
                var session = i;
                histograms[i] = LatencyRecorder.NewHistogram(highestMicroseconds);
                clients[i] = new S2AppendSessionClient(http, new Uri(options.EndpointOf(i), records), basin, frame, options.Inflight, (long sent, long acked, in S2Ack _) =>
                {
                    if (!window.IsMeasured(acked))
                        return;
                    measured[session]++;
                    Record(histograms[session], RunWindow.Microseconds(sent, acked));
                });
            }

            // The window starts once the streams exist: creating 16 of them is not warm-up.
            window = RunWindow.StartingNow(options.Warmup, options.Duration);
            await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"bench s2: append with {sessions} session{(sessions == 1 ? "" : "s")}, warm-up {options.Warmup.TotalSeconds:0.###}s, measuring {options.Duration.TotalSeconds:0.###}s"));
            var elapsed = await RunSessionsAsync(clients, null, window, stop);

            var all = LatencyRecorder.NewHistogram(highestMicroseconds);
            foreach (var h in histograms)
                all.Add(h);
            var appended = measured.Sum() * options.Batch;
            var seconds = Math.Max(elapsed.TotalSeconds, 1e-9);
            var failed = Failed(clients, $"append with {sessions} sessions");
            var summary = new S2AppendResult(sessions, appended, Math.Round(appended / seconds, 1), Math.Round(appended * (double)options.RecordSize / 1048576 / seconds, 3), Math.Round(elapsed.TotalSeconds, 3), failed, LatencySummary.Of(all));
            await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"bench s2: append with {sessions} session{(sessions == 1 ? "" : "s")}: {summary.RecordsPerSecond:0} records/s, {summary.MiBPerSecond:0.00} MiB/s, ack p50 {summary.AckLatency?.P50} ms, p99 {summary.AckLatency?.P99} ms"));
            return summary;
        }

        public async Task<S2TailResult> TailAsync(CancellationToken stop)
        {
            var records = await StreamAsync("tail", stop);
            var readerEndpoint = options.EndpointOf(1);
            var matcher = new AckMatcher(highestMicroseconds);
            var ackLatency = LatencyRecorder.NewHistogram(highestMicroseconds);
            var window = RunWindow.StartingNow(options.Warmup, options.Duration);
            var live = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var readerStop = CancellationTokenSource.CreateLinkedTokenSource(stop);
            var reading = S2ReadSessionClient.RunAsync(http, new Uri(readerEndpoint, records + "?seq_num=0"), basin, (payload, at) =>
            {
                var batch = new S2ReadBatchReader(payload);
                var any = false;
                while (batch.TryNext(out var record))
                {
                    any = true;
                    matcher.Seen(record.SeqNum, at);
                }

                if (!any)
                    live.TrySetResult();
                return true;
            }, readerStop.Token);

            // The reader must be following the tail (its first heartbeat) before anything is appended.
            if (await Task.WhenAny(live.Task, reading, Task.Delay(options.Timeout, stop)) != live.Task)
            {
                await readerStop.CancelAsync();
                result.Failures.Add("tail: " + (await reading ?? $"the read session on {readerEndpoint} sent no heartbeat within {options.Timeout.TotalSeconds:0.#}s"));
                return new S2TailResult(0, 0, 0, null, null, null);
            }

            var writer = new S2AppendSessionClient(http, new Uri(options.Endpoints[0], records), basin, AppendFrame(options.Batch), options.Inflight, (long sent, long acked, in S2Ack ack) =>
            {
                var measured = window.IsMeasured(acked);
                if (measured)
                    Record(ackLatency, RunWindow.Microseconds(sent, acked));
                matcher.Acked(ack.Start.SeqNum, ack.End.SeqNum, sent, acked, measured);
            });
            window = RunWindow.StartingNow(options.Warmup, options.Duration);
            await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"bench s2: ack to tailing reader on {readerEndpoint}, warm-up {options.Warmup.TotalSeconds:0.###}s, measuring {options.Duration.TotalSeconds:0.###}s"));
            await RunSessionsAsync([writer], null, window, stop);
            Failed([writer], "tail");

            // Give the reader until --timeout to see the last acknowledged record.
            var deadline = Stopwatch.GetTimestamp() + RunWindow.ToTimestampTicks(options.Timeout);
            while (!matcher.CaughtUp && !reading.IsCompleted && Stopwatch.GetTimestamp() < deadline && !stop.IsCancellationRequested)
                await Task.Delay(10, CancellationToken.None);
            await readerStop.CancelAsync();
            if (await reading is { } readFailure)
                result.Failures.Add("tail reader: " + readFailure);
            var tail = matcher.Finish(ackLatency);
            if (tail.Missing > 0)
                result.Failures.Add($"tail: {tail.Missing} acknowledged records never reached the reader");
            await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"bench s2: ack to tailing reader: p50 {tail.Latency?.P50} ms, p99 {tail.Latency?.P99} ms ({tail.Records} records)"));
            return tail;
        }

        public async Task<S2CatchUpResult?> CatchUpAsync(CancellationToken stop)
        {
            var records = await StreamAsync("catchup", stop);
            var total = options.CatchUpRecords;
            var batch = options.FillBatch;
            var bytes = total * options.RecordSize;
            await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"bench s2: filling stream catchup with {bytes / 1048576.0:0.#} MiB ({total} records, {batch} per append, {FillSessions} sessions)"));
            var frame = AppendFrame(batch);
            var budget = new S2InputBudget(total / batch);
            long acked = 0;
            var clients = new S2AppendSessionClient[FillSessions];
            for (var i = 0; i < clients.Length; i++)
                clients[i] = new S2AppendSessionClient(http, new Uri(options.EndpointOf(i), records), basin, frame, options.Inflight, (long _, long _, in S2Ack _) => Interlocked.Increment(ref acked));
            var started = Stopwatch.GetTimestamp();
            using (var progressDone = new CancellationTokenSource())
            {
                var progress = ProgressAsync(() => Interlocked.Read(ref acked) * batch * options.RecordSize, bytes, progressDone.Token);
                await RunSessionsAsync(clients, budget, null, stop);
                await progressDone.CancelAsync();
                await progress;
            }

            var fill = Stopwatch.GetElapsedTime(started);
            if (Failed(clients, "catch-up fill") > 0 || stop.IsCancellationRequested)
                return null;
            if (Interlocked.Read(ref acked) * batch != total)
            {
                result.Failures.Add($"catch-up fill: {acked * batch} of {total} records were acknowledged");
                return null;
            }

            var readerEndpoint = options.EndpointOf(1);
            await log.WriteLineAsync($"bench s2: reading stream catchup from seq_num 0 on {readerEndpoint}");
            long read = 0, readBytes = 0, next = 0;
            var outOfOrder = false;
            var readStarted = Stopwatch.GetTimestamp();
            var finishedAt = readStarted;
            var failure = await S2ReadSessionClient.RunAsync(http, new Uri(readerEndpoint, records + $"?seq_num=0&count={total}"), basin, (payload, at) =>
            {
                var reader = new S2ReadBatchReader(payload);
                while (reader.TryNext(out var record))
                {
                    outOfOrder |= record.SeqNum != next;
                    next = record.SeqNum + 1;
                    read++;
                    readBytes += record.Body.Length;
                }

                finishedAt = at;
                return true;
            }, stop);
            var seconds = Math.Max(Stopwatch.GetElapsedTime(readStarted, finishedAt).TotalSeconds, 1e-9);
            if (failure is not null)
                result.Failures.Add("catch-up read: " + failure);
            if (read != total || outOfOrder)
                result.Failures.Add($"catch-up read: {read} of {total} records{(outOfOrder ? ", not in sequence" : "")}");
            var catchUp = new S2CatchUpResult(read, readBytes, Math.Round(fill.TotalSeconds, 3), Math.Round(bytes / 1048576.0 / Math.Max(fill.TotalSeconds, 1e-9), 2), Math.Round(seconds, 3), Math.Round(readBytes / 1048576.0 / seconds, 2), Math.Round(read / seconds, 1));
            await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"bench s2: catch-up read: {catchUp.MiBPerSecond:0.0} MiB/s ({readBytes / 1048576.0:0} MiB in {seconds:0.0}s)"));
            return catchUp;
        }

        // Runs sessions until the window ends (or the budget runs out), then gives their last
        // acks until --timeout; the measured time, from the window's start to its end or Ctrl+C.
        private async Task<TimeSpan> RunSessionsAsync(S2AppendSessionClient[] clients, S2InputBudget? budget, RunWindow? window, CancellationToken stop)
        {
            using var stopSending = CancellationTokenSource.CreateLinkedTokenSource(stop);
            using var abort = CancellationTokenSource.CreateLinkedTokenSource(stop);
            if (window is { } w)
                stopSending.CancelAfter(TimeSpan.FromTicks(Math.Max(0, Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), w.End).Ticks)));
            using var registration = stopSending.Token.Register(() => abort.CancelAfter(options.Timeout));
            await Task.WhenAll(clients.Select(c => c.RunAsync(budget, stopSending.Token, abort.Token)));
            if (window is not { } run)
                return TimeSpan.Zero;
            var end = Math.Min(Stopwatch.GetTimestamp(), run.End);
            return end > run.MeasureFrom ? Stopwatch.GetElapsedTime(run.MeasureFrom, end) : TimeSpan.Zero;
        }

        private int Failed(S2AppendSessionClient[] clients, string workload)
        {
            var failed = clients.Where(c => c.Failure is not null).ToList();
            if (failed.Count > 0)
                result.Failures.Add($"{workload}: {failed.Count} of {clients.Length} sessions failed; the first: {failed[0].Failure}");
            return failed.Count;
        }

        private async Task ProgressAsync(Func<long> done, long total, CancellationToken cancel)
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
            try
            {
                while (await timer.WaitForNextTickAsync(cancel))
                    await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"bench s2: filled {done() / 1048576.0:0} of {total / 1048576.0:0} MiB"));
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private static void Record(HistogramBase histogram, long microseconds)
        => histogram.RecordValue(Math.Clamp(microseconds, 0, histogram.HighestTrackableValue));

    // Matches the writer's acks with the reader's records by sequence number. Entries leave the
    // maps as soon as both sides have been seen, so they hold only what is in transit. A record
    // is measured when its ack arrived inside the window; one the reader had before the writer
    // had its ack counts 0 from the ack (and its real time from the send).
    private sealed class AckMatcher(long highestMicroseconds)
    {
        private readonly Lock gate = new();
        private readonly Dictionary<long, (long SentAt, long AckedAt, bool Measured)> acked = [];
        private readonly Dictionary<long, long> seen = [];
        private readonly HistogramBase fromAck = LatencyRecorder.NewHistogram(highestMicroseconds);
        private readonly HistogramBase fromSend = LatencyRecorder.NewHistogram(highestMicroseconds);
        private long lastAckedEnd;
        private long seenUpTo;
        private long count;
        private long beforeAck;

        public bool CaughtUp
        {
            get
            {
                lock (gate)
                    return seenUpTo >= lastAckedEnd;
            }
        }

        public void Acked(long start, long end, long sentAt, long ackedAt, bool measured)
        {
            lock (gate)
            {
                lastAckedEnd = Math.Max(lastAckedEnd, end);
                for (var seq = start; seq < end; seq++)
                {
                    if (!seen.Remove(seq, out var seenAt))
                    {
                        acked[seq] = (sentAt, ackedAt, measured);
                    }
                    else if (measured)
                    {
                        count++;
                        beforeAck++;
                        fromAck.RecordValue(0);
                        Record(fromSend, RunWindow.Microseconds(sentAt, seenAt));
                    }
                }
            }
        }

        public void Seen(long seq, long at)
        {
            lock (gate)
            {
                seenUpTo = Math.Max(seenUpTo, seq + 1);
                if (!acked.Remove(seq, out var ack))
                {
                    seen[seq] = at;
                }
                else if (ack.Measured)
                {
                    count++;
                    Record(fromAck, RunWindow.Microseconds(ack.AckedAt, at));
                    Record(fromSend, RunWindow.Microseconds(ack.SentAt, at));
                }
            }
        }

        public S2TailResult Finish(HistogramBase ackLatency)
        {
            lock (gate)
                return new S2TailResult(count, beforeAck, acked.Values.LongCount(a => a.Measured), LatencySummary.Of(fromAck), LatencySummary.Of(fromSend), LatencySummary.Of(ackLatency));
        }
    }
}
