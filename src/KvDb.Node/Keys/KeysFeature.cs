// The keys feature: /v1/kv and kv-db's root paths (the catch-all /{key}, which every more
// specific route outranks).
using KvDb.Node.HttpKit;

namespace KvDb.Node.Keys;

/// <summary>Registers the keys feature.</summary>
public sealed class KeysFeature : INodeFeature
{
    /// <inheritdoc/>
    public string Name => "Keys";

    /// <inheritdoc/>
    public IReadOnlyList<string> DependsOn { get; } = ["Auth", "Leases", "Watch"];

    /// <inheritdoc/>
    public void AddServices(IServiceCollection services)
    {
        KeyInstruments.Publish();

        // Pages of a range read at a past revision share what the range undoes (PastRangeCache).
        services.AddSingleton(new Core.Watch.PastRangeCache());
    }

    /// <inheritdoc/>
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapKeysEndpoints();
        endpoints.MapHistoryEndpoint();
        endpoints.MapKvEndpoints();
    }
}
