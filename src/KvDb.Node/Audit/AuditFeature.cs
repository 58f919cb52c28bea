// The audit log feature (--audit-log): a JSON line per state-changing request and per auth
// event, written off the request path by AuditLog. Its middleware (UseAuditLog) is placed by
// the composition root, which alone knows where in the pipeline it must sit.
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using Microsoft.Extensions.Options;

namespace KvDb.Node.Audit;

/// <summary>Registers the audit log feature.</summary>
public sealed class AuditFeature : INodeFeature
{
    /// <inheritdoc/>
    public string Name => "Audit";

    /// <inheritdoc/>
    public IReadOnlyList<string> DependsOn { get; } = ["Auth"];

    /// <inheritdoc/>
    public void AddServices(IServiceCollection services)
    {
        AuditInstruments.Publish();
        services.AddSingleton<IOptions<AuditOptions>>(static sp => Options.Create(sp.GetRequiredService<NodeOptions>().Audit));
        services.AddSingleton<AuditLog>();

        // Idle (no thread, no queue) without --audit-log.
        services.AddHostedService(static sp => sp.GetRequiredService<AuditLog>());
    }

    /// <inheritdoc/>
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
    }
}
