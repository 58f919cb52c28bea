// The log lines of backups, in one place so operators find them together.
namespace KvDb.Node.Backups;

/// <summary>Log messages of snapshots and scheduled backups.</summary>
internal static partial class BackupLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Served a snapshot at revision {Revision} ({Bytes} bytes) to {Remote}")]
    public static partial void Served(ILogger logger, long revision, long bytes, string remote);

    [LoggerMessage(Level = LogLevel.Information, Message = "Backup at revision {Revision} ({Bytes} bytes, sha256 {Sha256}) uploaded to {Destination} as {Name} in {Seconds:F1} s")]
    public static partial void Uploaded(ILogger logger, long revision, long bytes, string sha256, string destination, string name, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backup to {Destination} failed ({Reason}); this member keeps serving and tries again in {Retry}")]
    public static partial void Failed(ILogger logger, string destination, string reason, string retry);

    [LoggerMessage(Level = LogLevel.Information, Message = "Scheduled backups to {Destination} every {Interval}, keeping {Retain}; this member uploads while it leads (next due {Due:u})")]
    public static partial void Leading(ILogger logger, string destination, string interval, int retain, DateTimeOffset due);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted old backup {Name} from {Destination} (keeping the newest {Retain})")]
    public static partial void Pruned(ILogger logger, string name, string destination, int retain);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reading the latest backup pointer failed")]
    public static partial void PointerUnreadable(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting old backups from {Destination} failed ({Reason}); trying again after the next backup")]
    public static partial void PruneFailed(ILogger logger, string destination, string reason);
}
