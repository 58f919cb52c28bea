// The watch use case's services: the applied-entry signal, the dispatcher of changes to
// watches, and Consul-style blocking reads of one key.
namespace KvDb.Node.Watch;

/// <summary>Registers the watch services.</summary>
public static class WatchComposition
{
    /// <summary>Adds <see cref="ChangeFeed"/>, <see cref="WatchHub"/> (running in the background) and <see cref="KeyWait"/>.</summary>
    public static IServiceCollection AddWatch(this IServiceCollection services)
    {
        services.AddSingleton<ChangeFeed>();
        services.AddSingleton<WatchHub>();
        services.AddHostedService(static sp => sp.GetRequiredService<WatchHub>());
        services.AddSingleton<KeyWait>();
        return services;
    }
}
