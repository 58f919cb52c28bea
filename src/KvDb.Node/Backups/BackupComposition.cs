// The backup use case's services: taking snapshots (GET /v1/snapshot and scheduled backups),
// the scheduler (a hosted service, idle without --backup-to) and its outcome for status/metrics.
namespace KvDb.Node.Backups;

/// <summary>Registers the backup services.</summary>
public static class BackupComposition
{
    /// <summary>Adds <see cref="SnapshotTaker"/>, <see cref="BackupHistory"/> and <see cref="BackupScheduler"/>.</summary>
    public static IServiceCollection AddBackups(this IServiceCollection services)
    {
        services.AddSingleton<SnapshotTaker>();
        services.AddSingleton<BackupHistory>();
        services.AddHostedService<BackupScheduler>();
        return services;
    }
}
