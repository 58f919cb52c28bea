// The configuration source the builder keeps; it makes one provider per build.
using Microsoft.Extensions.Configuration;

namespace KvDb.Extensions.Configuration;

/// <summary>A configuration source reading from kvdb.</summary>
public sealed class KvDbConfigurationSource : IConfigurationSource
{
    /// <summary>Makes a source with <paramref name="options"/>.</summary>
    public KvDbConfigurationSource(KvDbConfigurationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
    }

    /// <summary>What to read and how.</summary>
    public KvDbConfigurationOptions Options { get; }

    /// <inheritdoc/>
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new KvDbConfigurationProvider(Options);
}
