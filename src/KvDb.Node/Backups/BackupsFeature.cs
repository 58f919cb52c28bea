// The backups feature: taking snapshots (GET /v1/snapshot and scheduled backups), the scheduler
// (a hosted service, idle without --backup-to) and its outcome for status and metrics.
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using Microsoft.Extensions.Options;

namespace KvDb.Node.Backups;

/// <summary>Registers the backups feature.</summary>
public sealed class BackupsFeature : INodeFeature
{
    /// <inheritdoc/>
    public string Name => "Backups";

    /// <inheritdoc/>
    public IReadOnlyList<string> DependsOn { get; } = [];

    /// <inheritdoc/>
    public void AddServices(IServiceCollection services)
    {
        services.AddSingleton<IOptions<BackupOptions>>(static sp => Options.Create(sp.GetRequiredService<NodeOptions>().Backup));
        services.AddSingleton<SnapshotTaker>();
        services.AddSingleton<BackupHistory>();
        services.AddHostedService<BackupScheduler>();
    }

    /// <inheritdoc/>
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapBackupEndpoints();
    }
}
