// A watch after a revision the history has forgotten ends in KvCompactedException with the
// compacted revision (the server's 410).

using System.Globalization;

namespace KvDb.Client.Tests;

[Collection(ClientClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class CompactionTests
{
    [Fact]
    public async Task A_watch_after_a_forgotten_revision_throws_KvCompactedException_with_the_compact_revision()
    {
        await using var cluster = await KvdbCluster.StartAsync(1, "--in-memory", "--watch-history", "1s", "--watch-history-floor", "200");
        await using var client = new KvClient(new KvClientOptions { Endpoints = [cluster.Url(1)] });
        var first = await client.PutAsync("c/a", "0");

        async Task<KvCompactedException?> WatchFromFirstAsync()
        {
            try
            {
                await foreach (var _ in client.WatchAsync("c/a", first - 1))
                    return null;
            }
            catch (KvCompactedException e)
            {
                return e;
            }

            return null;
        }

        // Past the 1 s window and beyond the floor of 200 revisions, the first write is forgotten.
        await Eventually.WaitUntilAsync(async () =>
        {
            for (var i = 0; i < 50; i++)
                await client.PutAsync("c/a", i.ToString(CultureInfo.InvariantCulture));
            return await WatchFromFirstAsync() is not null;
        }, "the history to forget the first write", TimeSpan.FromSeconds(60));

        var compacted = await WatchFromFirstAsync();
        compacted.Should().NotBeNull();
        compacted!.CompactRevision.Should().BeGreaterThanOrEqualTo(first);
        compacted.StatusCode.Should().Be(System.Net.HttpStatusCode.Gone);
        compacted.Detail.Should().Contain("range");
    }
}
