// The configuration provider against a real cluster: a change reaches IOptionsMonitor through
// the watch; with every member down the last values stay; when the members are back, changes
// flow again.
using KvDb.Extensions.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KvDb.Client.Tests.Configuration;

[Collection(ClientClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class ConfigurationProviderTests
{
    public sealed class AppSettings
    {
        public string Greeting { get; set; } = "";

        public LimitSettings Limits { get; set; } = new();
    }

    public sealed class LimitSettings
    {
        public int Max { get; set; }
    }

    [Fact]
    public async Task Changes_reach_IOptionsMonitor_and_the_last_values_stay_while_every_member_is_down()
    {
        await using var cluster = await KvdbCluster.StartAsync(3, "--election-timeout", "500ms");
        Uri[] endpoints = [cluster.Url(1), cluster.Url(2), cluster.Url(3)];
        await using var writer = new KvClient(new KvClientOptions { Endpoints = endpoints, OperationTimeout = TimeSpan.FromSeconds(60) });
        await writer.PutAsync("config/live/App/Greeting", "hello");
        await writer.PutAsync("config/live/App/Limits", """{"Max": 5}""");
        await writer.PutAsync("config/other/App/Greeting", "not ours");

        var logs = new LogCapture();
        var configuration = new ConfigurationBuilder().AddKvDb(o =>
        {
            o.Endpoints = endpoints;
            o.Prefix = "config/live/";
            o.ReloadOnChange = true;
            o.LoggerFactory = logs;
            o.RequestTimeout = TimeSpan.FromSeconds(2);
            o.OperationTimeout = TimeSpan.FromSeconds(3);
        }).Build();
        await using var services = new ServiceCollection().Configure<AppSettings>(configuration.GetSection("App")).BuildServiceProvider();
        var monitor = services.GetRequiredService<IOptionsMonitor<AppSettings>>();
        try
        {
            monitor.CurrentValue.Greeting.Should().Be("hello");
            monitor.CurrentValue.Limits.Max.Should().Be(5);

            await writer.PutAsync("config/live/App/Greeting", "bonjour");
            await writer.PutAsync("config/live/App/Limits", """{"Max": 7}""");
            await Eventually.WaitUntilAsync(() => monitor.CurrentValue is { Greeting: "bonjour", Limits.Max: 7 }, "the changes to reach IOptionsMonitor", TimeSpan.FromSeconds(10), logs.Describe);
            await writer.DeleteAsync("config/live/App/Limits");
            await Eventually.WaitUntilAsync(() => configuration["App:Limits:Max"] is null, "the delete to reach the configuration", TimeSpan.FromSeconds(10), logs.Describe);

            foreach (var member in cluster.Members)
                await member.KillAsync();
            await Eventually.WaitUntilAsync(() => logs.Contains("keeping the last configuration"), "the provider to notice the cluster is gone", TimeSpan.FromSeconds(60), logs.Describe);
            monitor.CurrentValue.Greeting.Should().Be("bonjour", "the last good configuration stays while the cluster is away");
            configuration["App:Greeting"].Should().Be("bonjour");

            foreach (var id in new[] { 1, 2, 3 })
                cluster.Restart(id);
            await writer.PutAsync("config/live/App/Greeting", "hallo");
            await Eventually.WaitUntilAsync(() => monitor.CurrentValue.Greeting == "hallo", "the provider to follow changes again once the members are back", TimeSpan.FromSeconds(60), logs.Describe);
        }
        finally
        {
            ((IDisposable)configuration).Dispose();
        }
    }
}
