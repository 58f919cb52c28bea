// A member reads its settings from its flags only: no configuration file it loads may be watched
// for changes. A watch covers the working directory recursively, so with the data directory
// under it (the Procfile's layout) every log write would cost a file-system event.
using Microsoft.Extensions.Configuration;

namespace KvDb.Tests.Hosting;

public sealed class ConfigurationWatchTests
{
    [Fact]
    public async Task No_configuration_file_is_watched_for_changes()
    {
        await using var app = NodeComposition.BuildApp(UnstartedMember.Options("configuration-watch"));

        var files = ((IConfigurationRoot)app.Configuration).Providers.OfType<FileConfigurationProvider>().ToList();
        files.Where(static f => f.Source.ReloadOnChange).Select(static f => f.Source.Path)
            .Should().BeEmpty("a watched file means a recursive watch of the working directory");
    }
}
