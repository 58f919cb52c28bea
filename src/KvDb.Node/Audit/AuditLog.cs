// The audit log: requests hand lines to a bounded queue, one background thread writes them.
// Invariants:
//  - Recording never blocks and never throws: a full queue drops the line; a file that cannot
//    be opened or written drops the batch. Every dropped line is counted (kvdb_audit_dropped,
//    by reason) and reported in a warning at most every WarningInterval.
//  - After a failed open or write the writer drops lines for RetryDelay before it tries the
//    file again, so a full or broken disk costs one failed call per RetryDelay, not per batch.
//  - Lines are written in the order they were queued, each whole or not at all, batched into
//    one write per drain of the queue (at most BatchBytes), so a line reaches the operating
//    system within a write of being queued; at shutdown the queue is drained and the file synced.
//  - Off (no --audit-log): no queue and no thread; Record does nothing.
using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace KvDb.Node.Audit;

/// <summary>Queues audit lines and writes them to the audit log file on a thread of its own.</summary>
public sealed partial class AuditLog : IHostedService
{
    private const int BatchBytes = 256 * 1024;
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly AuditOptions options;
    private readonly ILogger<AuditLog> logger;
    private readonly TimeProvider clock;
    private readonly Channel<AuditLine>? queue;
    private readonly TaskCompletionSource stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Thread? writer;
    private long droppedQueueFull;
    private long droppedWriteFailed;
    private long written;

    // The writer thread's own: what the last warning reported, when, and the last file error.
    private long reportedDrops;
    private long lastWarning;
    private string? lastFailure;

    /// <summary>The audit log <paramref name="options"/> describe (nothing when it is off).</summary>
    public AuditLog(IOptions<AuditOptions> options, ILogger<AuditLog> logger, TimeProvider clock)
    {
        this.options = options.Value;
        this.logger = logger;
        this.clock = clock;
        if (this.options.Enabled)
        {
            queue = Channel.CreateBounded<AuditLine>(new BoundedChannelOptions(this.options.QueueCapacity)
            {
                SingleReader = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
        }
    }

    /// <summary>Lines dropped so far, for any reason.</summary>
    public long Dropped => Interlocked.Read(ref droppedQueueFull) + Interlocked.Read(ref droppedWriteFailed);

    /// <summary>Lines written so far.</summary>
    public long Written => Interlocked.Read(ref written);

    /// <summary>Queues <paramref name="line"/>; drops and counts it when the queue is full.</summary>
    public void Record(AuditLine line)
    {
        if (queue is null || queue.Writer.TryWrite(line))
            return;
        Interlocked.Increment(ref droppedQueueFull);
        AuditInstruments.RecordDropped(1, AuditInstruments.QueueFull);
    }

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (queue is null || writer is not null)
            return Task.CompletedTask;

        // A thread of its own: the file is written synchronously, and a slow disk must hold up
        // only this thread, never one of the pool's that serve requests.
        writer = new Thread(Run) { IsBackground = true, Name = "kvdb audit log" };
        writer.Start();
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (queue is null || writer is null)
            return;
        queue.Writer.TryComplete();
        try
        {
            await stopped.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            LogNotDrained(options.FilePath!);
        }
    }

    private void Run()
    {
        using var file = new AuditFile(options.FilePath!, options.MaxFileBytes, options.MaxFiles);
        using var batch = new Batch(file, this);
        try
        {
            batch.TryOpen();
            var reader = queue!.Reader;
            while (WaitToRead(reader))
            {
                while (batch.Bytes < BatchBytes && reader.TryRead(out var line))
                    batch.Add(line);
                batch.Flush();
                ReportDrops(force: false);
            }

            batch.Flush();
            batch.Sync();
        }
        finally
        {
            ReportDrops(force: true);
            stopped.TrySetResult();
        }
    }

    // The writer thread's only wait: until a line is queued or the queue is completed.
    private static bool WaitToRead(ChannelReader<AuditLine> reader)
    {
        var wait = reader.WaitToReadAsync();
        return wait.IsCompletedSuccessfully ? wait.Result : wait.AsTask().GetAwaiter().GetResult();
    }

    private void ReportDrops(bool force)
    {
        var queueFull = Interlocked.Read(ref droppedQueueFull);
        var failed = Interlocked.Read(ref droppedWriteFailed);
        var total = queueFull + failed;
        if (total == reportedDrops || (!force && lastWarning != 0 && clock.GetElapsedTime(lastWarning) < WarningInterval))
            return;
        LogDropped(options.FilePath!, total - reportedDrops, queueFull, failed, lastFailure ?? "none");
        reportedDrops = total;
        lastWarning = clock.GetTimestamp();
    }

    // The writer thread's state: the lines of the batch being built, serialized, and when the
    // file may be tried again after a failure.
    private sealed class Batch(AuditFile file, AuditLog log) : IDisposable
    {
        private readonly ArrayBufferWriter<byte> pending = new(BatchBytes + 4096);
        private readonly ArrayBufferWriter<byte> line = new(4096);
        private readonly Utf8JsonWriter json = new(new ArrayBufferWriter<byte>(1), new JsonWriterOptions
        {
            // Relaxed: keys and names read as written (non-ASCII included); quotes, backslashes
            // and control characters are still escaped, so no line can forge another.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        });
        private int lines;
        private long retryAt;

        public int Bytes => pending.WrittenCount;

        public void Dispose() => json.Dispose();

        // Opened at start so that its size is known before the first line, and so that a path
        // that cannot be written is reported at once rather than with the first dropped line.
        public void TryOpen()
        {
            try
            {
                file.Open();
            }
            catch (Exception e) when (IsFileError(e))
            {
                Failed(e, 0);
                log.LogOpenFailed(log.options.FilePath!, e.Message);
            }
        }

        public void Add(AuditLine entry)
        {
            line.ResetWrittenCount();
            json.Reset(line);
            JsonSerializer.Serialize(json, entry, AuditJsonContext.Default.AuditLine);
            line.Write("\n"u8);

            if (file.MustRotateBefore(pending.WrittenCount, line.WrittenCount))
            {
                Flush();
                Rotate();
            }

            pending.Write(line.WrittenSpan);
            lines++;
        }

        public void Flush()
        {
            if (lines == 0)
                return;
            try
            {
                if (retryAt != 0 && log.clock.GetTimestamp() < retryAt)
                    Drop(lines);
                else
                {
                    file.Append(pending.WrittenSpan);
                    retryAt = 0;
                    Interlocked.Add(ref log.written, lines);
                    AuditInstruments.Written.Add(lines);
                }
            }
            catch (Exception e) when (IsFileError(e))
            {
                Failed(e, lines);
            }
            finally
            {
                pending.ResetWrittenCount();
                lines = 0;
            }
        }

        public void Sync()
        {
            try
            {
                file.Sync();
            }
            catch (Exception e) when (IsFileError(e))
            {
                log.lastFailure = e.Message;
            }
        }

        private void Rotate()
        {
            try
            {
                file.Rotate();
            }
            catch (Exception e) when (IsFileError(e))
            {
                // Nothing is lost: the lines go on into the current file until the next try.
                log.LogRotateFailed(log.options.FilePath!, e.Message);
            }
        }

        private void Failed(Exception e, int dropped)
        {
            log.lastFailure = e.Message;
            retryAt = log.clock.GetTimestamp() + (long)(RetryDelay.TotalSeconds * log.clock.TimestampFrequency);
            Drop(dropped);
        }

        private void Drop(int count)
        {
            if (count == 0)
                return;
            Interlocked.Add(ref log.droppedWriteFailed, count);
            AuditInstruments.RecordDropped(count, AuditInstruments.WriteFailed);
        }

        private static bool IsFileError(Exception e) => e is IOException or UnauthorizedAccessException or NotSupportedException or System.Security.SecurityException;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit log {Path}: {Count} line(s) dropped since the last warning (since start: {QueueFull} because the queue was full, {Failed} because the file could not be written; last failure: {Failure})")]
    private partial void LogDropped(string path, long count, long queueFull, long failed, string failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit log {Path}: cannot be opened ({Failure}); its lines are dropped (kvdb_audit_dropped) until it can be")]
    private partial void LogOpenFailed(string path, string failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit log {Path}: could not rotate ({Failure}); writing on into the current file")]
    private partial void LogRotateFailed(string path, string failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit log {Path}: shutdown did not wait for the last lines to be written")]
    private partial void LogNotDrained(string path);
}
