using Microsoft.Extensions.DependencyInjection;

namespace KvDb.Client.Tests;

public sealed class ServiceRegistrationTests
{
    [Fact]
    public async Task AddKvDbClient_registers_one_configured_client_that_the_container_disposes()
    {
        var services = new ServiceCollection().AddLogging().AddKvDbClient(o => o.Endpoints = [new Uri("http://127.0.0.1:12380"), new Uri("http://127.0.0.1:22380/")]);
        KvClient client;
        await using (var provider = services.BuildServiceProvider())
        {
            client = provider.GetRequiredService<KvClient>();
            provider.GetRequiredService<KvClient>().Should().BeSameAs(client);
            client.Endpoints.Should().Equal(new Uri("http://127.0.0.1:12380/"), new Uri("http://127.0.0.1:22380/"));
        }

        await FluentActions.Awaiting(() => client.GetAsync("k").AsTask()).Should().ThrowAsync<ObjectDisposedException>();
    }

    [Fact]
    public void Invalid_options_are_refused_when_the_client_is_made()
    {
        FluentActions.Invoking(() => new KvClient(new KvClientOptions())).Should().Throw<ArgumentException>().WithMessage("*Endpoints*");
        FluentActions.Invoking(() => new KvClient(new KvClientOptions { Endpoints = [new Uri("ftp://host")] })).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => new KvClient(new KvClientOptions { Endpoints = [new Uri("http://host")], Token = "t", UserName = "u" })).Should().Throw<ArgumentException>();
    }
}
