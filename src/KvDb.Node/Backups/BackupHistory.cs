// What this member knows of its scheduled backups, for /v1/status and /metrics: the last
// attempt (time, outcome, reason), the last success (time, revision, size, name) and counts.
// Invariants: updated only by the scheduler, read by anyone; a failed attempt never erases the
// last success. Counts are since this process started.
using System.Diagnostics.Metrics;
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using KvDb.Node.Observability;
using Microsoft.Extensions.Options;

namespace KvDb.Node.Backups;

/// <summary>The last backup's outcome, as <c>/v1/status</c> shows it under <c>backup</c>.</summary>
/// <param name="Destination">Where backups go (--backup-to).</param>
/// <param name="Interval">--backup-interval.</param>
/// <param name="Retain">--backup-retain.</param>
/// <param name="Uploading">True while this member leads and so takes the backups.</param>
/// <param name="LastAttemptAt">When the last attempt ended, or null.</param>
/// <param name="LastOutcome"><c>succeeded</c>, <c>failed</c>, or null before the first attempt.</param>
/// <param name="LastError">Why the last attempt failed, or null.</param>
/// <param name="LastSuccessAt">When the last successful backup was taken, or null.</param>
/// <param name="LastRevision">Its revision (0 before the first).</param>
/// <param name="LastBytes">Its size in bytes.</param>
/// <param name="LastName">Its object name.</param>
/// <param name="Succeeded">Successful backups since this member started.</param>
/// <param name="Failed">Failed attempts since this member started.</param>
public sealed record BackupStatus(
    string Destination,
    string Interval,
    int Retain,
    bool Uploading,
    DateTimeOffset? LastAttemptAt,
    string? LastOutcome,
    string? LastError,
    DateTimeOffset? LastSuccessAt,
    long LastRevision,
    long LastBytes,
    string? LastName,
    long Succeeded,
    long Failed)
{
    /// <summary>The status as /v1/status shows it under "backup" (KvDb.Contracts' BackupStatusJson).</summary>
    public KvDb.Contracts.BackupStatusJson ToContract() => new()
    {
        Destination = Destination,
        Interval = Interval,
        Retain = Retain,
        Uploading = Uploading,
        LastAttemptAt = LastAttemptAt,
        LastOutcome = LastOutcome,
        LastError = LastError,
        LastSuccessAt = LastSuccessAt,
        LastRevision = LastRevision,
        LastBytes = LastBytes,
        LastName = LastName,
        Succeeded = Succeeded,
        Failed = Failed,
    };
}

/// <summary>Records scheduled backups' outcomes and publishes them as metrics.</summary>
public sealed class BackupHistory
{
    private static readonly Meter Meter = new(KvdbMeter.MeterName, CommandLine.Version);

    private static readonly Counter<long> Attempts = Meter.CreateCounter<long>(
        "backups", unit: "{backup}", description: "Scheduled backups this member attempted as leader, by outcome (succeeded, failed).");

    private static BackupHistory? current;

    private readonly Lock gate = new();
    private readonly BackupOptions options;
    private BackupStatus status;

    static BackupHistory()
    {
        Meter.CreateObservableGauge("backup_last_success_time_seconds", static () => Read(static s => s.LastSuccessAt?.ToUnixTimeMilliseconds() / 1000.0 ?? 0), unit: "s", description: "Unix time of the last successful scheduled backup by this member (0: none yet).");
        Meter.CreateObservableGauge("backup_last_attempt_time_seconds", static () => Read(static s => s.LastAttemptAt?.ToUnixTimeMilliseconds() / 1000.0 ?? 0), unit: "s", description: "Unix time of the last scheduled backup attempt by this member (0: none yet).");
        Meter.CreateObservableGauge("backup_last_succeeded", static () => Read(static s => s.LastOutcome is "succeeded" ? 1 : 0), description: "1 when this member's last scheduled backup attempt succeeded, 0 when it failed or none was made.");
        Meter.CreateObservableGauge("backup_last_revision", static () => Read(static s => s.LastRevision), description: "Revision of the last successful scheduled backup by this member.");
        Meter.CreateObservableGauge("backup_last_bytes", static () => Read(static s => s.LastBytes), unit: "By", description: "Size of the last successful scheduled backup by this member.");
    }

    /// <summary>Starts with no attempt made.</summary>
    public BackupHistory(IOptions<BackupOptions> backup)
    {
        options = backup.Value;
        status = new BackupStatus(
            options.Destination?.ToString() ?? "", KvDb.Flags.Duration.Format(options.Interval), options.Retain,
            false, null, null, null, null, 0, 0, null, 0, 0);
        Volatile.Write(ref current, this);
    }

    /// <summary>The status now, or null when scheduled backups are off.</summary>
    public BackupStatus? Status
    {
        get
        {
            if (options.Destination is null)
                return null;
            lock (gate)
                return status;
        }
    }

    /// <summary>Whether this member is the one uploading (it leads).</summary>
    public void SetUploading(bool uploading)
    {
        lock (gate)
            status = status with { Uploading = uploading };
    }

    /// <summary>Records a successful backup.</summary>
    public void Succeeded(LatestPointer backup)
    {
        lock (gate)
        {
            status = status with
            {
                LastAttemptAt = DateTimeOffset.UtcNow,
                LastOutcome = "succeeded",
                LastError = null,
                LastSuccessAt = backup.CreatedAt,
                LastRevision = backup.Revision,
                LastBytes = backup.Bytes,
                LastName = backup.Name,
                Succeeded = status.Succeeded + 1,
            };
        }

        Attempts.Add(1, new KeyValuePair<string, object?>("outcome", "succeeded"));
    }

    /// <summary>Records a failed attempt.</summary>
    public void Failed(string reason)
    {
        lock (gate)
            status = status with { LastAttemptAt = DateTimeOffset.UtcNow, LastOutcome = "failed", LastError = reason, Failed = status.Failed + 1 };
        Attempts.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
    }

    private static double Read(Func<BackupStatus, double> field)
        => Volatile.Read(ref current)?.Status is { } s ? field(s) : 0;
}
