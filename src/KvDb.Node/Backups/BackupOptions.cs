// The scheduled-backup settings of a member (--backup-to and friends), after validation.
namespace KvDb.Node.Backups;

/// <summary>Scheduled backups: where, how often, how many are kept.</summary>
public sealed record BackupOptions
{
    /// <summary>No scheduled backups.</summary>
    public static readonly BackupOptions None = new();

    /// <summary>The store backups go to; null turns scheduled backups off.</summary>
    public BackupLocation? Destination { get; init; }

    /// <summary>Time between backups.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How many backups the store keeps (older ones are deleted after each new one).</summary>
    public int Retain { get; init; } = 24;

    /// <summary>The URL of an S3-compatible server, or null for AWS S3.</summary>
    public string? S3Endpoint { get; init; }
}
