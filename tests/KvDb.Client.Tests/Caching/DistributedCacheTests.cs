// KvDbDistributedCache against a real member: set, get and remove (sync and async), absolute
// expiration removing the entry through its kvdb TTL, sliding expiration kept alive by reads,
// and the checks of DistributedCacheEntryOptions.
using System.Text;
using KvDb.Extensions.Caching;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;

namespace KvDb.Client.Tests.Caching;

public sealed class CacheMember : IAsyncLifetime
{
    public KvdbCluster Cluster { get; private set; } = null!;

    public KvClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await KvdbCluster.StartAsync(1, "--in-memory");
        Client = new KvClient(new KvClientOptions { Endpoints = [Cluster.Url(1)] });
    }

    public async Task DisposeAsync()
    {
        await Client.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}

[Collection(ClientClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class DistributedCacheTests(CacheMember member) : IClassFixture<CacheMember>
{
    private KvDbDistributedCache NewCache() => new(member.Client, "cache/");

    [Fact]
    public async Task Set_get_and_remove_round_trip_sync_and_async()
    {
        var cache = NewCache();
        cache.Set("a", [1, 2, 3], new DistributedCacheEntryOptions());
        cache.Get("a").Should().Equal(1, 2, 3);
        (await cache.GetAsync("a")).Should().Equal(1, 2, 3);
        (await member.Client.GetAsync("cache/a")).Should().NotBeNull("the entry is the key Prefix + key");

        await cache.SetStringAsync("b", "hello", new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5) });
        (await cache.GetStringAsync("b")).Should().Be("hello");
        cache.GetString("b").Should().Be("hello");

        cache.Remove("a");
        cache.Get("a").Should().BeNull();
        await cache.RemoveAsync("b");
        (await cache.GetAsync("b")).Should().BeNull();
        cache.Get("never-set").Should().BeNull();
        cache.Remove("never-set");
    }

    [Fact]
    public async Task Sync_methods_do_not_deadlock_under_a_single_threaded_synchronization_context()
    {
        var cache = NewCache();
        var done = new TaskCompletionSource<byte[]?>();
        var thread = new Thread(() =>
        {
            SynchronizationContext.SetSynchronizationContext(new SingleThreadContext());
            cache.Set("sync", Encoding.UTF8.GetBytes("x"), new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) });
            cache.Refresh("sync");
            done.SetResult(cache.Get("sync"));
        });
        thread.Start();
        (await done.Task.WaitAsync(TimeSpan.FromSeconds(30))).Should().Equal((byte)'x');
    }

    [Fact]
    public async Task Absolute_expiration_removes_the_entry()
    {
        var cache = NewCache();
        await cache.SetStringAsync("abs", "soon gone", new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMilliseconds(300) });
        var lease = await LeaseOfAsync("cache/abs");
        lease.Ttl.Should().Be(TimeSpan.FromSeconds(1), "TTLs under 1 s are rounded up to kvdb's minimum");
        await Eventually.WaitUntilAsync(async () => await member.Client.GetAsync("cache/abs") is null, "kvdb to delete the expired entry", TimeSpan.FromSeconds(15));
        (await cache.GetAsync("abs")).Should().BeNull();

        cache.SetString("abs-at", "x", new DistributedCacheEntryOptions { AbsoluteExpiration = DateTimeOffset.UtcNow.AddSeconds(2) });
        cache.GetString("abs-at").Should().Be("x");
        await Eventually.WaitUntilAsync(() => cache.Get("abs-at") is null, "the entry to expire", TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task Sliding_expiration_is_kept_alive_by_reads_and_capped_by_the_absolute_expiration()
    {
        var cache = NewCache();
        await cache.SetStringAsync("slide", "alive", new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(2) });
        var firstLease = (await LeaseOfAsync("cache/slide")).Id;

        // Reads, each well within the window, for more than twice the window: the entry stays.
        var until = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < until)
        {
            (await cache.GetStringAsync("slide")).Should().Be("alive");
            await Task.Delay(400);
        }

        (await LeaseOfAsync("cache/slide")).Id.Should().NotBe(firstLease, "each read re-puts the entry with a fresh TTL");
        await cache.RefreshAsync("slide");
        cache.Refresh("slide");

        // No more reads: it expires after its window (read the raw key so as not to refresh it).
        await Eventually.WaitUntilAsync(async () => await member.Client.GetAsync("cache/slide") is null, "the idle sliding entry to expire", TimeSpan.FromSeconds(15));

        // With an absolute expiration too, the TTL a read gives never goes past it.
        await cache.SetStringAsync("capped", "x", new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(10), AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(30) });
        (await LeaseOfAsync("cache/capped")).Ttl.Should().BeLessThanOrEqualTo(TimeSpan.FromSeconds(30));
        (await cache.GetStringAsync("capped")).Should().Be("x");
        (await LeaseOfAsync("cache/capped")).Ttl.Should().BeLessThanOrEqualTo(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Invalid_options_are_refused_before_anything_is_written()
    {
        var cache = NewCache();
        var act = () => cache.Set("bad", [1], new DistributedCacheEntryOptions { AbsoluteExpiration = DateTimeOffset.UtcNow.AddMinutes(-1) });
        act.Should().Throw<ArgumentOutOfRangeException>();
        await FluentActions.Awaiting(() => cache.SetAsync("bad", [1], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.Zero })).Should().ThrowAsync<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(-1) }).Should().Throw<ArgumentOutOfRangeException>("the options type itself refuses it");
        FluentActions.Invoking(() => cache.Set("", [1], new DistributedCacheEntryOptions())).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => cache.Set("bad", null!, new DistributedCacheEntryOptions())).Should().Throw<ArgumentNullException>();
        (await member.Client.GetAsync("cache/bad")).Should().BeNull();
    }

    [Fact]
    public void AddKvDbDistributedCache_registers_an_IDistributedCache_from_the_options()
    {
        var services = new ServiceCollection();
        services.AddKvDbDistributedCache(o =>
        {
            o.Endpoints = [member.Cluster.Url(1)];
            o.Prefix = "cache/di/";
        });
        using var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredService<IDistributedCache>();
        cache.Should().BeOfType<KvDbDistributedCache>();
        cache.SetString("k", "v");
        cache.GetString("k").Should().Be("v");
        member.Client.Get("cache/di/k")!.Value.Length.Should().BeGreaterThan(1);
    }

    private async Task<KvLeaseInfo> LeaseOfAsync(string key)
    {
        var leases = await member.Client.ListLeasesAsync();
        foreach (var lease in leases)
        {
            var info = await member.Client.GetLeaseAsync(lease.Id);
            if (info is not null && info.Keys.Contains(key))
                return info;
        }

        throw new InvalidOperationException($"no lease holds {key}");
    }

    private sealed class SingleThreadContext : SynchronizationContext
    {
        // Posts nowhere: anything that waits on a continuation posted here would hang.
        public override void Post(SendOrPostCallback d, object? state)
        {
        }
    }
}
