// The lease use case's services: the leader's lease clock and the way other members reach it.
namespace KvDb.Node.Leases;

/// <summary>Registers the lease services.</summary>
public static class LeaseComposition
{
    /// <summary>Adds <see cref="LeaseKeeper"/> (running in the background) and <see cref="LeaseForwarder"/>.</summary>
    public static IServiceCollection AddLeases(this IServiceCollection services)
    {
        services.AddSingleton<LeaseKeeper>();
        services.AddHostedService(static sp => sp.GetRequiredService<LeaseKeeper>());
        services.AddSingleton<LeaseForwarder>();
        return services;
    }
}
