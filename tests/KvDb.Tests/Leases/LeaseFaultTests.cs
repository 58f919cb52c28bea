// A lease kept alive across a leader frozen with SIGSTOP for longer than the lease's TTL. The
// frozen leader's clock runs on while no keep-alive reaches it, so when it is thawed it may
// believe the lease expired; only the current leader's revocations can commit, so the lease and
// its key must survive, with no delete event ever recorded for the key. Once the keep-alives
// stop, the lease must still expire and delete the key.
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit.Abstractions;

namespace KvDb.Tests.Leases;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class LeaseFaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_lease_kept_alive_survives_a_leader_paused_past_its_ttl_and_expires_once_abandoned()
    {
        await using var cluster = await KvdbCluster.StartAsync(3, "--election-timeout", "500ms", "--request-timeout", "3s");
        using var http = cluster.NewClient(TimeSpan.FromSeconds(2));
        var leader = await cluster.WaitForLeaderAsync();
        var follower = leader % 3 + 1;
        using var granted = await http.PostAsJsonAsync(new Uri(cluster.Url(follower), "v1/leases"), new { ttl = "3s" });
        var lease = (await granted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        using var put = await http.PutAsync(new Uri(cluster.Url(follower), $"v1/kv/session/alive?lease={lease}"), new StringContent("v"));
        put.StatusCode.Should().Be(HttpStatusCode.NoContent, await put.Content.ReadAsStringAsync());
        var written = long.Parse(put.Headers.GetValues("X-Kvdb-Revision").Single(), CultureInfo.InvariantCulture);

        var paused = 0;
        var renewals = 0;
        using var stopKeepAlive = new CancellationTokenSource();
        var keepAlive = Task.Run(async () =>
        {
            var member = follower;
            while (!stopKeepAlive.IsCancellationRequested)
            {
                member = member % 3 + 1;
                if (member == Volatile.Read(ref paused))
                    continue;
                try
                {
                    using var renewed = await http.PostAsync(new Uri(cluster.Url(member), $"v1/leases/{lease}/keepalive"), null, stopKeepAlive.Token);
                    renewed.StatusCode.Should().NotBe(HttpStatusCode.NotFound, "a lease kept alive must not expire");
                    if (renewed.IsSuccessStatusCode)
                        Interlocked.Increment(ref renewals);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                }

                // The client's keep-alive cadence (ten a TTL), not a wait for anything.
                await Task.Delay(300, CancellationToken.None);
            }
        });

        try
        {
            Volatile.Write(ref paused, leader);
            output.WriteLine($"SIGSTOP leader {leader}");
            cluster.Member(leader).Pause();
            var next = await cluster.WaitForLeaderAsync(except: leader);
            output.WriteLine($"new leader {next}");

            // Keep the old leader frozen for two TTLs past the election, then thaw it and let its
            // stale clock run while the keep-alives go on.
            var frozenRenewals = Volatile.Read(ref renewals);
            await Eventually.WaitUntilAsync(() => Volatile.Read(ref renewals) >= frozenRenewals + 20, "keep-alives through the new leader for two TTLs", Deadline);
            cluster.Member(leader).Resume();
            Volatile.Write(ref paused, 0);
            await cluster.WaitUntilMemberServesAsync(leader);
            var thawedRenewals = Volatile.Read(ref renewals);
            await Eventually.WaitUntilAsync(() => Volatile.Read(ref renewals) >= thawedRenewals + 20, "keep-alives after the thaw", Deadline);
        }
        finally
        {
            cluster.Member(leader).Resume();
            await stopKeepAlive.CancelAsync();
            await keepAlive;
        }

        foreach (var id in new[] { 1, 2, 3 })
            (await cluster.GetAsync(id, "session/alive")).Should().Be("v", $"member {id} must still have the key of a lease that was kept alive");
        var events = await EventsAsync(http, cluster.Url(follower), written);
        events.Should().NotContain(e => e.GetProperty("type").GetString() == "delete", "the key of a lease kept alive was never deleted");

        // Abandoned, the lease expires on the current leader's clock and takes its key.
        await Eventually.WaitUntilAsync(async () => await cluster.GetAsync(follower, "session/alive") is null, "the abandoned lease to expire and delete its key", Deadline);
        (await http.GetAsync(new Uri(cluster.Url(follower), $"v1/leases/{lease}"))).StatusCode.Should().Be(HttpStatusCode.NotFound);
        output.WriteLine($"{renewals} keep-alives");
    }

    // Every event of the key after `after`, read from a watch until a progress line shows the
    // watch has caught up with the member's state.
    private static async Task<List<JsonElement>> EventsAsync(HttpClient http, Uri member, long after)
    {
        using var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(member, $"v1/watch?key=session/alive&after={after}&progress=200ms")), HttpCompletionOption.ResponseHeadersRead);
        using var lines = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(Deadline);
        var events = new List<JsonElement>();
        while (true)
        {
            var line = JsonDocument.Parse((await lines.ReadLineAsync(timeout.Token))!).RootElement.Clone();
            if (line.GetProperty("type").GetString() == "progress")
                return events;
            events.Add(line);
        }
    }
}
