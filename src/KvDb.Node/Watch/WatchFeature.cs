// The watch feature: the applied-entry signal, the dispatcher of changes to watches, Consul-style
// blocking reads of one key, and GET /v1/watch.
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;

namespace KvDb.Node.Watch;

/// <summary>Registers the watch feature.</summary>
public sealed class WatchFeature : INodeFeature
{
    /// <inheritdoc/>
    public string Name => "Watch";

    /// <inheritdoc/>
    public IReadOnlyList<string> DependsOn { get; } = ["Auth"];

    /// <inheritdoc/>
    public void AddServices(IServiceCollection services)
    {
        WatchInstruments.Publish();
        services.AddSingleton<ChangeFeed>();
        services.AddSingleton<WatchHub>();
        services.AddHostedService(static sp => sp.GetRequiredService<WatchHub>());
        services.AddSingleton<KeyWait>();
        services.AddOptions<WatchOptions>().Configure<NodeOptions>(static (watch, node) => watch.SlowReaderTimeout = node.WatchSlowReaderTimeout);
    }

    /// <inheritdoc/>
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapWatchEndpoints();
    }
}
