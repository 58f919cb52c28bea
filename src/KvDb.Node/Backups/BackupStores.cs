// Opens the store a BackupLocation names.
namespace KvDb.Node.Backups;

/// <summary>Makes <see cref="IBackupStore"/>s.</summary>
public static class BackupStores
{
    /// <summary>The store at <paramref name="location"/>; <paramref name="s3Endpoint"/> is used for S3 locations only.</summary>
    public static IBackupStore Open(BackupLocation location, string? s3Endpoint) => location.Kind is BackupStoreKind.S3
        ? new S3BackupStore(location, s3Endpoint)
        : new FileBackupStore(location.Root);
}
