// kvdb's audit-log flags, kept apart from NodeFlags (as BackupFlags are) so they read as one
// feature; NodeFlags lists and builds them.
// Invariants: NodeFlags' conventions (declared once, KVDB_ environment variables); every value
// is checked here, so a bad one is a command-line error (exit code 2) with a one-line message.
// The file itself is not checked: an audit log that cannot be written never stops a member.
using System.CommandLine;
using KvDb.Flags;
using KvDb.Node.Hosting;

namespace KvDb.Node.Audit;

/// <summary>The flags of the audit log.</summary>
internal sealed class AuditFlags
{
    private const long MinFileBytes = 1L << 10;
    private const long MaxFileBytes = 1L << 40;

    public AuditFlags(Func<string, string?> environment)
    {
        AuditLog = Env(new Flag<string?>("audit-log", "FILE", "none (off)", "Append one JSON line per state-changing request and per auth event (logins, 401, 403, 429) to FILE, never values, passwords or tokens (see docs/operations/audit-log.md). A full or slow disk drops lines (kvdb_audit_dropped) rather than delay requests.", ParseFile, defaultValue: () => null));
        AuditLogMaxSize = Env(new Flag<long>("audit-log-max-size", "BYTES", "100MiB", "Size past which the audit log is rotated to FILE.1 (older ones shift up). Suffixes KiB, MiB, GiB.", ParseSize));
        AuditLogMaxFiles = Env(new Flag<int>("audit-log-max-files", "N", "5", "Rotated audit logs kept (FILE.1 … FILE.N); older ones are deleted.", WholeNumber.Between("audit-log-max-files", 1, 1000)));

        Flag<T> Env<T>(Flag<T> flag) => flag.FromEnvironment("KVDB_" + flag.FlagName.Replace('-', '_').ToUpperInvariant(), environment);
    }

    /// <summary>The flags, in --help order.</summary>
    public IReadOnlyList<IFlag> Flags => [AuditLog, AuditLogMaxSize, AuditLogMaxFiles];

    public Flag<string?> AuditLog { get; }
    public Flag<long> AuditLogMaxSize { get; }
    public Flag<int> AuditLogMaxFiles { get; }

    /// <summary>The settings of a parse without errors.</summary>
    public AuditOptions Build(ParseResult result) => new()
    {
        FilePath = result.GetValue(AuditLog),
        MaxFileBytes = result.GetValue(AuditLogMaxSize),
        MaxFiles = result.GetValue(AuditLogMaxFiles),
    };

    private static string ParseFile(string text)
        => string.IsNullOrWhiteSpace(text) || text.EndsWith('/') || Directory.Exists(text)
            ? throw new FormatException($"--audit-log '{text}' must name a file, not a directory")
            : text;

    private static long ParseSize(string text)
        => ByteSize.TryParse(text, out var value) && value is >= MinFileBytes and <= MaxFileBytes
            ? value
            : throw new FormatException($"--audit-log-max-size '{text}' must be a size from {ByteSize.Format(MinFileBytes)} to {ByteSize.Format(MaxFileBytes)}, like 100MiB");
}
