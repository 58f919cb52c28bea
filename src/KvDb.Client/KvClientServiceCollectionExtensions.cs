// Registers one shared KvClient in a service collection, configured through the options
// pattern, logging through the container's ILoggerFactory and counting on its IMeterFactory
// unless the options name their own.
// Invariant: the container owns the client (a singleton) and disposes it with itself.
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KvDb.Client;

/// <summary>Registers <see cref="KvClient"/> with dependency injection.</summary>
public static class KvClientServiceCollectionExtensions
{
    /// <summary>Adds a singleton <see cref="KvClient"/> configured by <paramref name="configure"/>.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the client's options (at least <see cref="KvClientOptions.Endpoints"/>).</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <example>
    /// <code>
    /// builder.Services.AddKvDbClient(o => o.Endpoints = [new Uri("http://127.0.0.1:12380"), new Uri("http://127.0.0.1:22380")]);
    /// </code>
    /// </example>
    public static IServiceCollection AddKvDbClient(this IServiceCollection services, Action<KvClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<KvClientOptions>().Configure(configure);
        services.TryAddSingleton(static provider => new KvClient(
            provider.GetRequiredService<IOptions<KvClientOptions>>().Value,
            provider.GetService<ILoggerFactory>(),
            provider.GetService<IMeterFactory>()));
        return services;
    }
}
