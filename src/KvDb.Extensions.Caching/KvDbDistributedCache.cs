// IDistributedCache over kvdb: an entry is one key (Prefix + cache key) whose value is a small
// header (CacheEnvelope: sliding window, absolute expiry) and the cached bytes, written with a
// kvdb TTL (PUT ?ttl=, a lease granted with the key in one log entry) so kvdb deletes it when it
// expires.
// Invariants:
//  - The key's TTL is the sliding window, or the time to the absolute expiry, whichever is
//    shorter; kvdb's TTLs run from 1 s to 7 days, so a shorter one is rounded up to 1 s and a
//    longer one capped at 7 days (a cache may drop an entry early; it never serves one past its
//    absolute expiry, which Get checks against the header).
//  - Get and Refresh of a sliding entry put it again with a fresh TTL, conditioned on the
//    revision read, so a refresh never overwrites a newer Set (a lost race just skips the refresh).
//  - The synchronous methods use KvClient's blocking calls (HTTP/1.1, HttpClient.Send): they
//    never wait on a task, so they cannot deadlock on a synchronisation context.
using KvDb.Client;
using Microsoft.Extensions.Caching.Distributed;

namespace KvDb.Extensions.Caching;

/// <summary>An <see cref="IDistributedCache"/> whose entries are kvdb keys with TTLs.</summary>
public sealed class KvDbDistributedCache : IDistributedCache, IDisposable
{
    private static readonly TimeSpan MinTtl = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxTtl = TimeSpan.FromDays(7);

    private readonly KvClient client;
    private readonly bool ownsClient;
    private readonly string prefix;
    private readonly TimeProvider time;

    /// <summary>A cache with its own <see cref="KvClient"/>, made from <paramref name="options"/> (disposed with the cache).</summary>
    /// <exception cref="ArgumentException">The client options are invalid.</exception>
    public KvDbDistributedCache(KvDbDistributedCacheOptions options)
        : this(new KvClient(options ?? throw new ArgumentNullException(nameof(options))), options.Prefix, ownsClient: true, TimeProvider.System)
    {
    }

    /// <summary>A cache over an existing <paramref name="client"/> (not disposed with the cache).</summary>
    /// <param name="client">The client.</param>
    /// <param name="prefix">Cache key <c>k</c> is the kvdb key <c>prefix + k</c>.</param>
    public KvDbDistributedCache(KvClient client, string prefix = "cache/")
        : this(client, prefix, ownsClient: false, TimeProvider.System)
    {
    }

    internal KvDbDistributedCache(KvClient client, string prefix, bool ownsClient, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(prefix);
        this.client = client;
        this.prefix = prefix;
        this.ownsClient = ownsClient;
        this.time = time;
    }

    /// <inheritdoc/>
    public byte[]? Get(string key)
    {
        var entry = client.Get(KeyOf(key));
        if (entry is null)
            return null;
        var value = Open(entry, out var refresh);
        if (refresh is { } ttl)
            TryRefresh(() => client.Put(entry.Key, entry.Value, RefreshOptions(entry, ttl)));
        return value;
    }

    /// <inheritdoc/>
    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        var entry = await client.GetAsync(KeyOf(key), ReadConsistency.Linearizable, token).ConfigureAwait(false);
        if (entry is null)
            return null;
        var value = Open(entry, out var refresh);
        if (refresh is { } ttl)
            await TryRefreshAsync(() => client.PutAsync(entry.Key, entry.Value, RefreshOptions(entry, ttl), token)).ConfigureAwait(false);
        return value;
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException">An expiration is in the past, or a relative one or the sliding window is not positive.</exception>
    public void Set(string key, byte[] value, DistributedCacheEntryOptions options)
    {
        var (stored, write) = Prepare(key, value, options);
        client.Put(KeyOf(key), stored, write);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException">An expiration is in the past, or a relative one or the sliding window is not positive.</exception>
    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        var (stored, write) = Prepare(key, value, options);
        await client.PutAsync(KeyOf(key), stored, write, token).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public void Refresh(string key) => Get(key);

    /// <inheritdoc/>
    public Task RefreshAsync(string key, CancellationToken token = default) => GetAsync(key, token);

    /// <inheritdoc/>
    public void Remove(string key) => client.Delete(KeyOf(key));

    /// <inheritdoc/>
    public async Task RemoveAsync(string key, CancellationToken token = default)
        => await client.DeleteAsync(KeyOf(key), null, token).ConfigureAwait(false);

    /// <summary>Disposes the client when the cache made it.</summary>
    public void Dispose()
    {
        if (ownsClient)
            client.Dispose();
    }

    private string KeyOf(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return prefix + key;
    }

    private (byte[] Stored, KvWriteOptions? Write) Prepare(string key, byte[] value, DistributedCacheEntryOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(options);
        var now = time.GetUtcNow();
        DateTimeOffset? absolute = null;
        if (options.AbsoluteExpirationRelativeToNow is { } relative)
        {
            if (relative <= TimeSpan.Zero)
                throw new ArgumentOutOfRangeException(nameof(options), relative, "AbsoluteExpirationRelativeToNow must be positive.");
            absolute = now + relative;
        }
        else if (options.AbsoluteExpiration is { } at)
        {
            if (at <= now)
                throw new ArgumentOutOfRangeException(nameof(options), at, "AbsoluteExpiration must be in the future.");
            absolute = at;
        }

        if (options.SlidingExpiration is { } sliding && sliding <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), sliding, "SlidingExpiration must be positive.");

        var envelope = new CacheEnvelope(
            options.SlidingExpiration is { } window ? Math.Max(1, (long)Math.Ceiling(window.TotalMilliseconds)) : 0,
            absolute?.ToUnixTimeMilliseconds() ?? 0);
        TimeSpan? ttl = (options.SlidingExpiration, absolute) switch
        {
            ({ } s, { } a) => Min(s, a - now),
            ({ } s, null) => s,
            (null, { } a) => a - now,
            _ => null,
        };
        return (envelope.Pack(value), ttl is { } t ? new KvWriteOptions { Ttl = Clamp(t) } : null);
    }

    // What a read of `entry` answers (null once expired; a value stored by other means as it is),
    // and the TTL to slide it forward with, if any.
    private byte[]? Open(KvEntry entry, out TimeSpan? refresh)
    {
        refresh = null;
        if (!CacheEnvelope.TryUnpack(entry.Value, out var envelope, out var value))
            return entry.Value;
        if (Expired(envelope, out var now))
            return null;
        refresh = RefreshTtl(envelope, now);
        return value;
    }

    private bool Expired(CacheEnvelope envelope, out DateTimeOffset now)
    {
        now = time.GetUtcNow();
        return envelope.AbsoluteUnixMs != 0 && now.ToUnixTimeMilliseconds() >= envelope.AbsoluteUnixMs;
    }

    // The TTL a sliding entry gets on a read: its window, capped by the time left to its absolute expiry.
    private static TimeSpan? RefreshTtl(CacheEnvelope envelope, DateTimeOffset now)
    {
        if (envelope.SlidingMs == 0)
            return null;
        var ttl = TimeSpan.FromMilliseconds(envelope.SlidingMs);
        if (envelope.AbsoluteUnixMs != 0)
            ttl = Min(ttl, TimeSpan.FromMilliseconds(envelope.AbsoluteUnixMs - now.ToUnixTimeMilliseconds()));
        return Clamp(ttl);
    }

    private static KvWriteOptions RefreshOptions(KvEntry entry, TimeSpan ttl)
        => new() { Ttl = ttl, Condition = WriteCondition.RevisionIs(entry.Revision) };

    private static void TryRefresh(Action put)
    {
        try
        {
            put();
        }
        catch (KvConditionFailedException)
        {
            // Set, removed or refreshed by someone else since the read: theirs stands.
        }
    }

    private static async Task TryRefreshAsync(Func<ValueTask<long>> put)
    {
        try
        {
            await put().ConfigureAwait(false);
        }
        catch (KvConditionFailedException)
        {
            // Set, removed or refreshed by someone else since the read: theirs stands.
        }
    }

    private static TimeSpan Clamp(TimeSpan ttl) => ttl < MinTtl ? MinTtl : ttl > MaxTtl ? MaxTtl : ttl;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
