// kvdb's scheduled-backup flags, kept apart from NodeFlags (as SecurityFlags are) so they read
// as one feature; NodeFlags lists and builds them.
// Invariants: NodeFlags' conventions (declared once, KVDB_ environment variables); every value
// is checked here, so a bad one is a command-line error (exit code 2) with a one-line message.
using System.CommandLine;
using KvDb.Flags;

namespace KvDb.Node.Backups;

/// <summary>The flags of scheduled backups.</summary>
internal sealed class BackupFlags
{
    public BackupFlags(Func<string, string?> environment)
    {
        BackupTo = Env(new Flag<BackupLocation?>("backup-to", "URL", "none (off)", "Take a backup every --backup-interval while this member leads, into s3://bucket/prefix or file:///dir (see docs/operations/backup.md).", text => BackupLocation.Parse(text), defaultValue: () => null));
        BackupInterval = Env(new Flag<TimeSpan>("backup-interval", "DURATION", "1h", "Time between scheduled backups (1s to 720h); a failed one is retried sooner.", ParseInterval));
        BackupRetain = Env(new Flag<int>("backup-retain", "N", "24", "Scheduled backups kept in the store; older ones are deleted after each new one.", WholeNumber.Between("backup-retain", 1, 100_000)));
        BackupS3Endpoint = Env(new Flag<string?>("backup-s3-endpoint", "URL", "AWS S3", "URL of an S3-compatible server for s3:// locations (path-style addressing); credentials from the usual AWS_* variables or profile.", ParseEndpoint, defaultValue: () => null));

        Flag<T> Env<T>(Flag<T> flag) => flag.FromEnvironment("KVDB_" + flag.FlagName.Replace('-', '_').ToUpperInvariant(), environment);
    }

    /// <summary>The flags, in --help order.</summary>
    public IReadOnlyList<IFlag> Flags => [BackupTo, BackupInterval, BackupRetain, BackupS3Endpoint];

    public Flag<BackupLocation?> BackupTo { get; }
    public Flag<TimeSpan> BackupInterval { get; }
    public Flag<int> BackupRetain { get; }
    public Flag<string?> BackupS3Endpoint { get; }

    /// <summary>The settings of a parse without errors.</summary>
    public BackupOptions Build(ParseResult result) => new()
    {
        Destination = result.GetValue(BackupTo),
        Interval = result.GetValue(BackupInterval),
        Retain = result.GetValue(BackupRetain),
        S3Endpoint = result.GetValue(BackupS3Endpoint),
    };

    private static TimeSpan ParseInterval(string text)
    {
        if (!Duration.TryParse(text, out var value) || value < TimeSpan.FromSeconds(1) || value > TimeSpan.FromHours(720))
            throw new FormatException($"--backup-interval '{text}' must be a duration from 1s to 720h, like 1h");
        return value;
    }

    /// <summary>Checks an S3 endpoint URL (also used by the snapshot command).</summary>
    public static string ParseEndpoint(string text)
        => Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? text.TrimEnd('/')
            : throw new FormatException($"--backup-s3-endpoint '{text}' is not an http:// or https:// URL");
}
