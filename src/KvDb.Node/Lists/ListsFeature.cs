// The lists feature: appendable lists in keyspaces, followed at their tail (/v1/lists, /v1/keyspaces).
using KvDb.Node.HttpKit;

namespace KvDb.Node.Lists;

/// <summary>Registers the lists feature.</summary>
public sealed class ListsFeature : INodeFeature
{
    /// <inheritdoc/>
    public string Name => "Lists";

    /// <inheritdoc/>
    public IReadOnlyList<string> DependsOn { get; } = ["Auth"];

    /// <inheritdoc/>
    public void AddServices(IServiceCollection services)
    {
        ListInstruments.Publish();
        services.AddSingleton<ListFeed>();
    }

    /// <inheritdoc/>
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapListEndpoints();
    }
}
