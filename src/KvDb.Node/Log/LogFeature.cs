// The log feature: committed entries as JSON lines (/v1/log).
using KvDb.Node.HttpKit;

namespace KvDb.Node.Log;

/// <summary>Registers the log feature.</summary>
public sealed class LogFeature : INodeFeature
{
    /// <inheritdoc/>
    public string Name => "Log";

    /// <inheritdoc/>
    public IReadOnlyList<string> DependsOn { get; } = ["Auth", "Watch"];

    /// <inheritdoc/>
    public void AddServices(IServiceCollection services)
    {
    }

    /// <inheritdoc/>
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapLogEndpoints();
    }
}
