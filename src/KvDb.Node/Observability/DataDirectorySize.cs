// The bytes a member keeps in its data directory (Raft log chunks, snapshots, the Raft
// configuration, the storage engine's files later), for /v1/status and /metrics.
// Invariants:
//  - Never throws: files may be created, renamed or deleted while the tree is walked (the WAL
//    and snapshots do both), so vanished entries are skipped and the figure is approximate.
//  - With --in-memory the directory is the member's temporary memory-backed one
//    (/dev/shm/kvdb-...), so the figure is the memory its log and snapshots take.
namespace KvDb.Node.Observability;

/// <summary>Measures the size of a directory tree.</summary>
public static class DataDirectorySize
{
    private static readonly EnumerationOptions Everything = new()
    {
        RecurseSubdirectories = true,
        IgnoreInaccessible = true,
        AttributesToSkip = FileAttributes.ReparsePoint,
    };

    /// <summary>The total length in bytes of the files under <paramref name="directory"/>; 0 when it is missing.</summary>
    public static long Of(string directory)
    {
        long total = 0;
        try
        {
            foreach (var file in new DirectoryInfo(directory).EnumerateFiles("*", Everything))
            {
                try
                {
                    total += file.Length;
                }
                catch (IOException)
                {
                    // Deleted between listing and reading its length.
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The directory vanished (shutting down) or a subdirectory did mid-walk.
        }

        return total;
    }
}
