// The configuration provider when no member answers at start: it fails, or with Optional
// starts empty.
using KvDb.Extensions.Configuration;
using Microsoft.Extensions.Configuration;

namespace KvDb.Client.Tests.Configuration;

public sealed class ConfigurationStartTests
{
    private static void Unreachable(KvDbConfigurationOptions o)
    {
        o.Endpoints = [new Uri($"http://127.0.0.1:{FreePorts.Take(1)[0]}")];
        o.Prefix = "config/app/";
        o.OperationTimeout = TimeSpan.FromMilliseconds(300);
        o.RetryDelay = TimeSpan.FromMilliseconds(20);
    }

    [Fact]
    public void An_unreachable_cluster_fails_the_build()
    {
        FluentActions.Invoking(() => new ConfigurationBuilder().AddKvDb(Unreachable).Build())
            .Should().Throw<KvUnavailableException>();
    }

    [Fact]
    public void An_optional_source_starts_empty()
    {
        var configuration = new ConfigurationBuilder().AddKvDb(o =>
        {
            Unreachable(o);
            o.Optional = true;
        }).Build();
        configuration.AsEnumerable().Should().BeEmpty();
        ((IDisposable)configuration).Dispose();
    }
}
