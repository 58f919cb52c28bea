// A backup that fails a check (truncated, a flipped byte, not a backup at all). Nothing was
// installed or restored from it.
namespace KvDb.Core.Backups;

/// <summary>A backup failed verification; the message says which check and where.</summary>
public sealed class BackupCorruptException(string message, Exception? inner = null) : Exception(message, inner);
