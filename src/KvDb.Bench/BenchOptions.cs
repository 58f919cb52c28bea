// Everything one `kvdb bench` run is configured with, after parsing and validation.
// Invariants: once built by BenchCommandLine.Parse every field is valid (at least one endpoint,
// each an absolute http(s) base URL ending in "/"; sizes and durations within the documented
// ranges; Preload already resolved from the mix; Watchers > 0 only with the kvdb target and
// WatchRanges <= Keys), so the drivers never re-check them.

namespace KvDb.Bench;

/// <summary>Which system a benchmark drives.</summary>
public enum BenchTarget
{
    /// <summary>kvdb's root API: <c>PUT /{key}</c> and <c>GET /{key}</c>.</summary>
    Kvdb,

    /// <summary>etcd's v3 JSON gateway: <c>POST /v3/kv/put</c> and <c>POST /v3/kv/range</c>.</summary>
    Etcd,
}

/// <summary>The validated configuration of one benchmark run.</summary>
public sealed class BenchOptions
{
    /// <summary>The system under test.</summary>
    public BenchTarget Target { get; init; } = BenchTarget.Kvdb;

    /// <summary>Base URLs of the members, each ending in "/"; worker i talks to endpoint i mod count.</summary>
    public required IReadOnlyList<Uri> Endpoints { get; init; }

    /// <summary>How long results are recorded, after the warm-up.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long load runs before recording starts (connections opened, JIT and caches warm).</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Closed loop: requests in flight at all times. Open loop: the most in flight at once.</summary>
    public int Concurrency { get; init; } = 64;

    /// <summary>Bytes per value written.</summary>
    public int ValueSize { get; init; } = 100;

    /// <summary>Size of the key space.</summary>
    public int Keys { get; init; } = 10_000;

    /// <summary>Share of each operation kind.</summary>
    public required OperationMix Mix { get; init; }

    /// <summary>Consistency of reads: kvdb <c>?consistency=local</c>, etcd <c>"serializable": true</c> when local.</summary>
    public BenchConsistency Consistency { get; init; } = BenchConsistency.Linearizable;

    /// <summary>The HTTP version of every request, exactly: 1.1, or 2.0 (with prior knowledge on <c>http://</c>, by ALPN on <c>https://</c>).</summary>
    public Version RequestVersion { get; init; } = System.Net.HttpVersion.Version11;

    /// <summary>Whether every put carries an <c>Idempotency-Key</c> of its own, as the client package sends it (kvdb only).</summary>
    public bool IdempotencyKeys { get; init; }

    /// <summary>Open loop at this many operations per second in total; null for a closed loop.</summary>
    public int? TargetRate { get; init; }

    /// <summary>How long one request may take before it counts as a timeout error.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Write every key once before the warm-up, so reads find existing keys.</summary>
    public bool Preload { get; init; }

    /// <summary>Watches kept open on <see cref="WatchUri"/> for the whole run; 0 turns watch mode off.</summary>
    public int Watchers { get; init; }

    /// <summary>Watch mode: how many contiguous ranges the key space is split into (watcher w watches range w mod this).</summary>
    public int WatchRanges { get; init; } = 250;

    /// <summary>Watch mode: the base URL (ending in "/") of the member serving the watches; null for the first of <see cref="Endpoints"/>.</summary>
    public Uri? WatchEndpoint { get; init; }

    /// <summary>The member that serves the watches: <see cref="WatchEndpoint"/>, else the first endpoint.</summary>
    public Uri WatchUri => WatchEndpoint ?? Endpoints[0];

    /// <summary>Print the results as one JSON object instead of a table.</summary>
    public bool Json { get; init; }

    /// <summary>The CA certificates https endpoints' certificates must chain to; null for the system's roots.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2Collection? TrustedCa { get; init; }

    /// <summary>The value of the Authorization header sent with every request (<c>Bearer ...</c>, <c>Basic ...</c>); null for none.</summary>
    public string? Authorization { get; init; }

    /// <summary>How many workers use endpoint <paramref name="endpoint"/> (workers are assigned round-robin).</summary>
    public int WorkersOn(int endpoint)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(endpoint);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(endpoint, Endpoints.Count);
        return Concurrency / Endpoints.Count + (endpoint < Concurrency % Endpoints.Count ? 1 : 0);
    }
}
