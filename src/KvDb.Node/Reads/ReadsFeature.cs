// The read path: the read index on both sides (asking the leader, and the peer endpoint that
// answers), behind the shared read barrier.
using KvDb.Node.HttpKit;

namespace KvDb.Node.Reads;

/// <summary>Registers the reads feature.</summary>
public sealed class ReadsFeature : INodeFeature
{
    /// <inheritdoc/>
    public string Name => "Reads";

    /// <inheritdoc/>
    public IReadOnlyList<string> DependsOn { get; } = [];

    /// <inheritdoc/>
    public void AddServices(IServiceCollection services)
    {
        services.AddSingleton<IReadIndexSource, ReadIndexClient>();
        services.AddSingleton<LinearizableReader>();
        services.AddSingleton<IReadBarrier>(static sp => sp.GetRequiredService<LinearizableReader>());
    }

    /// <inheritdoc/>
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapReadIndexEndpoints();
    }
}
