// Everything a kvdb member is configured with, after parsing and validation.
// Invariants: once built by CommandLine.Parse, every field is valid (Id indexes ClusterUrls,
// ports are in range, sizes positive), so the rest of the program never re-checks them.
using System.Net;
using KvDb.Node.Audit;
using KvDb.Node.Security;
using Microsoft.Extensions.Logging;

namespace KvDb.Node.Hosting;

/// <summary>The validated configuration of one kvdb member.</summary>
public sealed record NodeOptions
{
    /// <summary>This member's 1-based index into <see cref="ClusterUrls"/>.</summary>
    public int Id { get; init; } = 1;

    /// <summary>
    /// The address this member's peer port listens on: --peer-listen, or else its own URL in
    /// --cluster, resolved once at start. Other members' host names are never resolved here (a peer whose name does not
    /// resolve yet must not stop this member from starting); HTTP resolves them at each connection.
    /// </summary>
    public required IPEndPoint PeerEndPoint { get; init; }

    /// <summary>The peer URLs of the initial members in id order, normalised (see <see cref="PeerUrl"/>).</summary>
    public required IReadOnlyList<string> ClusterUrls { get; init; }

    /// <summary>The HTTP API port.</summary>
    public int Port { get; init; } = 12380;

    /// <summary>The local address connections to other members' peer ports are made from (--peer-source-address); null lets the OS choose.</summary>
    public IPAddress? PeerSourceAddress { get; init; }

    /// <summary>Start without bootstrapping a cluster; wait to be added by an existing one.</summary>
    public bool Join { get; init; }

    /// <summary>Where the Raft log and snapshots live.</summary>
    public required string DataDir { get; init; }

    /// <summary>With auth on, whether /ping, /readyz and /metrics still answer without credentials (for probes and scrapers).</summary>
    public bool OpenProbes { get; init; } = true;

    /// <summary>Who may read the OpenAPI document and the API reference page (--openapi-access).</summary>
    public OpenApi.OpenApiAccess OpenApiAccess { get; init; } = OpenApi.OpenApiAccess.Open;

    /// <summary>How long a token from POST /v1/auth/token is valid.</summary>
    public TimeSpan AuthTokenTtl { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Whether a successful login replaces a password hash of an earlier kind (--rehash-passwords).</summary>
    public bool RehashPasswords { get; init; } = true;

    /// <summary>How long the change history keeps changes for watchers (at least the newest 100,000 revisions are kept).</summary>
    public TimeSpan WatchHistory { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>How many of the newest revisions the change history keeps however old.</summary>
    public long WatchHistoryFloor { get; init; } = 100_000;

    /// <summary>How long a watch may wait on a client that does not read before it is cut off.</summary>
    public TimeSpan WatchSlowReaderTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Keep nothing on disk: the log and snapshots live in a temporary memory-backed directory.</summary>
    public bool InMemory { get; init; }

    /// <summary>The largest value accepted by PUT, in bytes.</summary>
    public int MaxValueBytes { get; init; } = 1 << 20;

    /// <summary>How long a request may wait for a leader, a quorum or a read barrier.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Applied entries after which the storage engine is flushed (a new snapshot) even if its memtable is not full.</summary>
    public long SnapshotInterval { get; init; } = 10_000;

    /// <summary>Memory for the storage engine: a quarter per memtable (two at most), half for the block cache.</summary>
    public long MemoryBudgetBytes { get; init; } = 64L << 20;

    /// <summary>
    /// Free space the data directory's filesystem must keep: below it this member refuses writes
    /// (507) so that the Raft log and the storage engine never run out of space; 0 disables the check.
    /// </summary>
    public long MinFreeDiskBytes { get; init; } = 256L << 20;

    /// <summary>Lower bound of the randomized Raft election timeout; the upper bound is 1.5 times it.</summary>
    public int ElectionTimeoutMs { get; init; } = 1000;

    /// <summary>
    /// Whether the leader serves linearizable reads on a lease (ReadLease) instead of a heartbeat
    /// round per batch of reads; safe while members' clocks run within ReadLease.ClockDriftBound.
    /// </summary>
    public bool ReadLease { get; init; } = true;

    /// <summary>An experiment knob: a pause before each entry this member applies, so local reads visibly lag.</summary>
    public TimeSpan ThrottleApply { get; init; }

    /// <summary>An experiment knob: a pause before this member acknowledges each write it took from a client.</summary>
    public TimeSpan ThrottleAppendAcks { get; init; }

    /// <summary>An experiment knob: a pause after this member installs a snapshot from the leader, before it answers.</summary>
    public TimeSpan ThrottleSnapshotInstall { get; init; }

    /// <summary>Writes a member holds waiting to be proposed; one more is refused with 503 at once.</summary>
    public int MaxPendingWrites { get; init; } = 16_384;

    /// <summary>The most live leases; a grant beyond it gets 429.</summary>
    public int MaxLeases { get; init; } = 100_000;

    /// <summary>The most comparisons, and the most operations per branch, of one transaction.</summary>
    public int MaxTxnOps { get; init; } = 128;

    /// <summary>The minimum level of log lines written to the console.</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>TLS and peer authentication (--cert-file, --peer-token-file, ...).</summary>
    public SecurityOptions Security { get; init; } = SecurityOptions.None;

    /// <summary>Scheduled backups (--backup-to, --backup-interval, ...).</summary>
    public Backups.BackupOptions Backup { get; init; } = Backups.BackupOptions.None;

    /// <summary>The audit log (--audit-log, --audit-log-max-size, --audit-log-max-files).</summary>
    public AuditOptions Audit { get; init; } = AuditOptions.None;

    /// <summary>Tracing (--otlp-endpoint, --otlp-protocol, --trace-sampling, --trace-key-depth).</summary>
    public Observability.TracingOptions Tracing { get; init; } = Observability.TracingOptions.Off;

    /// <summary>The S2 streams API (--s2-retention-interval).</summary>
    public Streams.StreamsOptions Streams { get; init; } = KvDb.Node.Streams.StreamsOptions.Default;

    /// <summary>The address the HTTP API listens on: the host of this member's peer URL.</summary>
    public IPAddress HttpAddress => PeerEndPoint.Address;

    /// <summary>The URL other members and clients reach this member's HTTP API at.</summary>
    public string AdvertisedHttpUrl => $"{(Security.ClientTls ? "https" : "http")}://{new Uri(ClusterUrls[Id - 1]).Host}:{Port}";

    /// <summary>This member's own peer URL.</summary>
    public string PeerUrl => ClusterUrls[Id - 1];
}
