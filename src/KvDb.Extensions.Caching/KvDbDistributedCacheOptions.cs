// Settings of the kvdb distributed cache: the client settings (endpoints, credentials, TLS,
// timeouts, logging) and the prefix under which cache entries are kept.
using KvDb.Client;

namespace KvDb.Extensions.Caching;

/// <summary>Settings of <see cref="KvDbDistributedCache"/>: a <see cref="KvClientOptions"/> plus where entries live.</summary>
public sealed class KvDbDistributedCacheOptions : KvClientOptions
{
    /// <summary>Cache key <c>k</c> is stored as the kvdb key <c>Prefix + k</c>. Default <c>cache/</c>; empty stores keys as they are.</summary>
    public string Prefix { get; set; } = "cache/";
}
