// builder.Configuration.AddKvDb(o => ...): the one call an application makes.
using Microsoft.Extensions.Configuration;

namespace KvDb.Extensions.Configuration;

/// <summary>Adds kvdb to a configuration builder.</summary>
public static class KvDbConfigurationExtensions
{
    /// <summary>Adds the keys under a prefix of a kvdb cluster as configuration.</summary>
    /// <param name="builder">The configuration builder.</param>
    /// <param name="configure">Sets the endpoints, the prefix, <see cref="KvDbConfigurationOptions.ReloadOnChange"/> and the rest.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    /// <example>
    /// <code>
    /// builder.Configuration.AddKvDb(o =>
    /// {
    ///     o.Endpoints = [new Uri("http://127.0.0.1:12380")];
    ///     o.Prefix = "config/myapp/";
    ///     o.ReloadOnChange = true;
    /// });
    /// </code>
    /// </example>
    public static IConfigurationBuilder AddKvDb(this IConfigurationBuilder builder, Action<KvDbConfigurationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new KvDbConfigurationOptions();
        configure(options);
        return builder.Add(new KvDbConfigurationSource(options));
    }
}
