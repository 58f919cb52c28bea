// Registers the kvdb distributed cache as the container's IDistributedCache, configured through
// the options pattern. The cache makes its own KvClient (its options are a KvClientOptions) and
// the container disposes both with itself.
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace KvDb.Extensions.Caching;

/// <summary>Registers <see cref="KvDbDistributedCache"/> with dependency injection.</summary>
public static class KvDbCachingServiceCollectionExtensions
{
    /// <summary>Adds a singleton <see cref="IDistributedCache"/> backed by kvdb.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the endpoints, the prefix and any other client option.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <example>
    /// <code>
    /// builder.Services.AddKvDbDistributedCache(o =>
    /// {
    ///     o.Endpoints = [new Uri("http://127.0.0.1:12380"), new Uri("http://127.0.0.1:22380")];
    ///     o.Prefix = "cache/myapp/";
    /// });
    /// </code>
    /// </example>
    public static IServiceCollection AddKvDbDistributedCache(this IServiceCollection services, Action<KvDbDistributedCacheOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<KvDbDistributedCacheOptions>().Configure(configure);
        services.TryAddSingleton(static provider => new KvDbDistributedCache(provider.GetRequiredService<IOptions<KvDbDistributedCacheOptions>>().Value));
        services.TryAddSingleton<IDistributedCache>(static provider => provider.GetRequiredService<KvDbDistributedCache>());
        return services;
    }
}
