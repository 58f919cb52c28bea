// What the kvdb configuration provider reads and how: the client settings (endpoints,
// credentials, TLS, timeouts, logging), the prefix, whether to follow changes, and whether the
// application may start without the cluster.
using KvDb.Client;

namespace KvDb.Extensions.Configuration;

/// <summary>Settings of the kvdb configuration provider: a <see cref="KvClientOptions"/> plus what to read.</summary>
public sealed class KvDbConfigurationOptions : KvClientOptions
{
    /// <summary>
    /// The keys read are those starting with this (e.g. <c>config/myapp/</c>); the rest of each key
    /// is its configuration key, with <c>/</c> as <c>:</c>. Empty reads every key.
    /// </summary>
    public string Prefix { get; set; } = "";

    /// <summary>Follow changes through a watch and reload (raising the configuration's change token) as they happen. Default false.</summary>
    public bool ReloadOnChange { get; set; }

    /// <summary>
    /// Start with no keys instead of failing when the cluster cannot be read at start; with
    /// <see cref="ReloadOnChange"/> the provider keeps trying and loads the keys once it can. Default false.
    /// </summary>
    public bool Optional { get; set; }
}
