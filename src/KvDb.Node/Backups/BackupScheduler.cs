// Scheduled backups (--backup-to): while this member leads, it takes a snapshot every
// --backup-interval, uploads it under a name with its revision and time, then points "latest"
// at it, then deletes all but the newest --backup-retain.
// Invariants:
//  - Only the leader uploads. A member that becomes leader reads "latest" from the store and
//    carries on the schedule from the last backup's time (a backup overdue is taken at once),
//    so a change of leader neither skips nor doubles a backup (unless it happens mid-upload).
//  - A failure (no quorum, the store unreachable or refusing, a full disk) is logged, counted
//    (BackupHistory, kvdb_backups{outcome="failed"}) and retried after min(interval, 1 min);
//    it never stops the member or its other work.
//  - The snapshot is written to a temporary file in the data directory (so S3 gets a length and
//    the SDK can retry a request), which is deleted after each attempt and at start.
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using KvDb.Core.Backups;
using KvDb.Node.Hosting;
using KvDb.Node.Raft;
using Microsoft.Extensions.Options;

namespace KvDb.Node.Backups;

/// <summary>Takes and uploads scheduled backups on the leader.</summary>
public sealed class BackupScheduler(LocalState state, IConsensus consensus, SnapshotTaker taker, BackupHistory history, IOptions<MemberOptions> member, IOptions<BackupOptions> backupOptions, ILogger<BackupScheduler> logger) : BackgroundService
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(1);

    private string TemporaryFile => Path.Combine(member.Value.DataDir, "backup-upload.tmp");

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (backupOptions.Value.Destination is not { } destination)
            return;

        try
        {
            await state.Started.WaitAsync(stoppingToken).ConfigureAwait(false);
            File.Delete(TemporaryFile);
            using var store = BackupStores.Open(destination, backupOptions.Value.S3Endpoint);
            await RunAsync(store, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private bool IsLeader => consensus.Leader is { IsThisMember: true };

    [SuppressMessage("Performance", "CA1873:Avoid potentially expensive logging", Justification = "The schedule is logged once per leadership; formatting the interval costs nothing beside a backup.")]
    private async Task RunAsync(IBackupStore store, CancellationToken stop)
    {
        DateTimeOffset? due = null;
        while (!stop.IsCancellationRequested)
        {
            if (!IsLeader)
            {
                history.SetUploading(false);
                due = null;
                await Task.Delay(Poll, stop).ConfigureAwait(false);
                continue;
            }

            history.SetUploading(true);
            if (due is null)
            {
                due = await FirstDueAsync(store, stop).ConfigureAwait(false);
                BackupLog.Leading(logger, store.Description, KvDb.Flags.Duration.Format(backupOptions.Value.Interval), backupOptions.Value.Retain, due.Value);
            }

            var wait = due.Value - DateTimeOffset.UtcNow;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait < Poll ? wait : Poll, stop).ConfigureAwait(false);
                continue;
            }

            try
            {
                var backup = await BackupOnceAsync(store, stop).ConfigureAwait(false);
                history.Succeeded(backup);
                due = backup.CreatedAt + backupOptions.Value.Interval;
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                var retry = backupOptions.Value.Interval < MaxRetryDelay ? backupOptions.Value.Interval : MaxRetryDelay;
                var reason = Describe(e);
                history.Failed(reason);
                BackupLog.Failed(logger, store.Description, reason, KvDb.Flags.Duration.Format(retry));
                due = DateTimeOffset.UtcNow + retry;
            }
        }
    }

    // Carries on from the last backup in the store, whoever took it.
    private async Task<DateTimeOffset> FirstDueAsync(IBackupStore store, CancellationToken stop)
    {
        var now = DateTimeOffset.UtcNow;
        try
        {
            var latest = await BackupSet.ReadLatestAsync(store, stop).ConfigureAwait(false);
            var due = latest is null ? now : latest.CreatedAt + backupOptions.Value.Interval;
            return due < now ? now : due;
        }
        catch (Exception e) when (!stop.IsCancellationRequested)
        {
            // Unreadable now: try a backup at once, which reports the failure and retries.
            BackupLog.PointerUnreadable(logger, e);
            return now;
        }
    }

    [SuppressMessage("Performance", "CA1873:Avoid potentially expensive logging", Justification = "One line per backup uploaded; reading a stopwatch is nothing beside the upload.")]
    private async Task<LatestPointer> BackupOnceAsync(IBackupStore store, CancellationToken stop)
    {
        var started = Stopwatch.GetTimestamp();
        var temporary = TemporaryFile;
        try
        {
            BackupManifest manifest;
            using (var checkpoint = await taker.TakeAsync(stop).ConfigureAwait(false))
            await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                manifest = await BackupArchive.WriteAsync(file, checkpoint, taker.Origin, stop).ConfigureAwait(false);
            }

            var bytes = new FileInfo(temporary).Length;
            var name = BackupSet.Name(manifest.Revision, manifest.CreatedAt);
            await store.PutFileAsync(name, temporary, stop).ConfigureAwait(false);
            var pointer = new LatestPointer(name, manifest.Revision, manifest.CreatedAt, bytes, manifest.Sha256);
            await store.PutBytesAsync(BackupSet.LatestName, BackupSet.Encode(pointer), stop).ConfigureAwait(false);
            BackupLog.Uploaded(logger, manifest.Revision, bytes, manifest.Sha256, store.Description, name, Stopwatch.GetElapsedTime(started).TotalSeconds);
            await PruneAsync(store, name, stop).ConfigureAwait(false);
            return pointer;
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    // Retention is housekeeping: the backup itself has succeeded whatever happens here.
    private async Task PruneAsync(IBackupStore store, string newest, CancellationToken stop)
    {
        try
        {
            foreach (var name in await BackupSet.PruneAsync(store, backupOptions.Value.Retain, newest, stop).ConfigureAwait(false))
                BackupLog.Pruned(logger, name, store.Description, backupOptions.Value.Retain);
        }
        catch (Exception e) when (!stop.IsCancellationRequested)
        {
            BackupLog.PruneFailed(logger, store.Description, Describe(e));
        }
    }

    private static string Describe(Exception e)
    {
        while (e is AggregateException { InnerException: { } inner })
            e = inner;
        var text = e is HttpRequestException or IOException or UnavailableException or InvalidDataException
            ? e.Message
            : $"{e.GetType().Name}: {e.Message}";
        if (e.InnerException is { } cause && !text.Contains(cause.Message, StringComparison.Ordinal))
            text += $" ({cause.Message})";
        return text.ReplaceLineEndings(" ");
    }
}
