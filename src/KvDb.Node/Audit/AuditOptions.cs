// The audit log's settings (--audit-log, --audit-log-max-size, --audit-log-max-files), after
// validation by AuditFlags; bound into IOptions by AuditFeature.
// Invariant: FilePath null means no audit log at all: no middleware, no queue, no writer.
namespace KvDb.Node.Audit;

/// <summary>Where the audit log goes and how much of it is kept.</summary>
public sealed record AuditOptions
{
    /// <summary>No audit log.</summary>
    public static readonly AuditOptions None = new();

    /// <summary>The file lines are appended to; null turns the audit log off.</summary>
    public string? FilePath { get; init; }

    /// <summary>The size past which the file is rotated (renamed FILE.1, older ones shifted up).</summary>
    public long MaxFileBytes { get; init; } = 100L << 20;

    /// <summary>How many rotated files (FILE.1 … FILE.N) are kept besides the one being written.</summary>
    public int MaxFiles { get; init; } = 5;

    /// <summary>Lines waiting for the writer; one more is dropped (and counted) rather than waited for.</summary>
    public int QueueCapacity { get; init; } = 8192;

    /// <summary>True when an audit log is written.</summary>
    public bool Enabled => FilePath is not null;
}
