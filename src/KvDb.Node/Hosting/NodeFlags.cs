// kvdb's flags as a System.CommandLine root command, and the NodeOptions they make.
// Invariants:
//  - Each flag is declared once, here, in --help order: name, value placeholder, default,
//    help text and parser together; its environment variable is KVDB_ + the name in upper case
//    with '_' for '-'. Parsing, the environment and --help are all derived from these.
//  - Each flag validates its own value (ranges, syntax); Build checks what spans flags (--id
//    within --cluster), so it returns valid NodeOptions or throws one FormatException.
using System.CommandLine;
using System.Net;
using KvDb.Flags;
using KvDb.Node.Audit;
using KvDb.Node.Security;
using Microsoft.Extensions.Logging;

namespace KvDb.Node.Hosting;

/// <summary>kvdb's flags, reading the environment through an injected lookup.</summary>
internal sealed class NodeFlags
{
    private const string DefaultCluster = "http://127.0.0.1:12379";

    public NodeFlags(Func<string, string?> environment)
    {
        Id = Env(new Flag<int>("id", "N", "1", "This member's 1-based position in --cluster.", WholeNumber.Between("id", 1, int.MaxValue)));
        Cluster = Env(new Flag<PeerList>("cluster", "URLS", DefaultCluster, "Comma-separated Raft peer URLs (http://host:port, or https://host:port with --peer-cert-file) of all members, in id order; seeds the membership on a first start. Each URL is that member's peer port: Raft and member-to-member calls over HTTP (DotNext.AspNetCore.Cluster).", PeerList.Parse));
        Port = Env(new Flag<int>("port", "PORT", "12380", "Port of the HTTP API (it listens on the host of this member's peer URL).", WholeNumber.Between("port", 1, 65535)));
        PeerListen = Env(new Flag<IPEndPoint?>("peer-listen", "ADDRESS:PORT", "its URL in --cluster", "Where this member's peer port listens when other members reach it at another address (its URL in --cluster names a proxy or a NAT in front of it), as etcd's --listen-peer-urls beside its advertised URLs.", PeerListenValue, defaultValue: () => null));
        PeerSourceAddress = Env(new Flag<IPAddress?>("peer-source-address", "ADDRESS", "chosen by the OS", "Local address this member's connections to other members' peer ports are made from (a host with several addresses; the fault suite gives each member its own loopback address so its proxies can tell members apart).", PeerSourceAddressValue, defaultValue: () => null));
        Join = Env(Switch("join", "Join an existing cluster instead of bootstrapping one: wait until a member adds this one."));
        DataDir = Env(new Flag<string?>("data-dir", "DIR", "data/node-<id>", "Directory of the Raft log and snapshots; created when missing.", text => text, defaultValue: () => null));
        InMemory = Env(Switch("in-memory", "Keep nothing on disk (the log lives in a temporary memory-backed directory, removed on exit). For demos and tests."));
        MaxValueBytes = Env(new Flag<int>("max-value-bytes", "BYTES", "1048576", "Largest value a PUT accepts; larger gets 413.", WholeNumber.Between("max-value-bytes", 1, 64 << 20)));
        RequestTimeout = Env(new Flag<TimeSpan>("request-timeout", "DURATION", "5s", "How long a request waits for a leader, a quorum or a read barrier before 503.", AnyDuration("request-timeout")));
        MaxPendingWrites = Env(new Flag<int>("max-pending-writes", "N", "16384", "Writes this member holds while they wait to be proposed; beyond it writes get 503 until the queue drains.", WholeNumber.Between("max-pending-writes", 1, 1 << 24)));
        MaxTxnOps = Env(new Flag<int>("max-txn-ops", "N", "128", "Most comparisons, and most operations in each branch, of one transaction (POST /v1/txn); more gets 400.", WholeNumber.Between("max-txn-ops", 1, 10_000)));
        MaxLeases = Env(new Flag<int>("max-leases", "N", "100000", "Most live leases (POST /v1/leases, PUT ?ttl=); a grant beyond it gets 429.", WholeNumber.Between("max-leases", 1, 100_000_000)));
        SnapshotInterval = Env(new Flag<int>("snapshot-interval", "ENTRIES", "10000", "Applied log entries after which the storage engine is flushed (a new snapshot; the log before it is deleted), even if its memtable is not full.", WholeNumber.Between("snapshot-interval", 2, int.MaxValue)));
        MemoryBudget = Env(new Flag<long>("memory-budget", "BYTES", "64MiB", "Memory for the storage engine: a quarter per memtable (at most two), half for the block cache; an eighth more keeps the newest changes in memory for watchers. Suffixes KiB, MiB, GiB.", Bytes("memory-budget", 4L << 20, 64L << 30)));
        MinFreeDisk = Env(new Flag<long>("min-free-disk", "BYTES", "256MiB", "Free space the data directory's filesystem must keep: below it writes get 507 (reads go on), so the log never runs out of space. 0 turns the check off.", Bytes("min-free-disk", 0, 1L << 50)));
        ElectionTimeout = Env(new Flag<TimeSpan>("election-timeout", "DURATION", "1s", "Lower bound of the randomized election timeout (the upper is 1.5 times it); Raft requests, snapshot transfers included, must finish within 90% of it.", ElectionTimeoutValue));
        ReadLease = Env(new Flag<OnOff>("read-lease", null, "on", "The leader serves linearizable reads without a heartbeat round for 80% of --election-timeout after a majority acknowledged one (a lease; it assumes no member's clock runs over 1.25x faster than another's). A restarted member waits one --election-timeout before it votes. off: a round for every batch of reads.", text => OnOff.Parse("read-lease", text)));
        ThrottleApply = Env(new Flag<TimeSpan>("throttle-apply", "DURATION", "0s", "Experiment knob: pause before each entry this member applies, so local/Eventual reads visibly lag and Strong reads wait.", AnyDuration("throttle-apply")));
        ThrottleAppendAcks = Env(new Flag<TimeSpan>("throttle-append-acks", "DURATION", "0s", "Experiment knob: pause before this member acknowledges each write it took from a client.", AnyDuration("throttle-append-acks")));
        ThrottleSnapshotInstall = Env(new Flag<TimeSpan>("throttle-snapshot-install", "DURATION", "0s", "Experiment knob: pause after this member installs a snapshot from the leader, before it answers, as a slow disk would (beyond 90% of --election-timeout the leader misses the answer).", AnyDuration("throttle-snapshot-install")));
        WatchHistory = Env(new Flag<TimeSpan>("watch-history", "DURATION", "15m", "How long changes are kept for watchers (GET /v1/watch?after=); the newest --watch-history-floor revisions are kept however old. An older after= gets 410.", AnyDuration("watch-history")));
        WatchHistoryFloor = Env(new Flag<long>("watch-history-floor", "REVISIONS", "100000", "The newest revisions the change history keeps however old (with --watch-history).", text => WholeNumber.Between("watch-history-floor", 1, int.MaxValue)(text)));
        WatchSlowReaderTimeout = Env(new Flag<TimeSpan>("watch-slow-reader-timeout", "DURATION", "30s", "A watch whose client has not taken what was sent for this long (its buffers full) is cut off, with a log line and kvdb_watch_cut_off.", text => AnyDuration("watch-slow-reader-timeout")(text) is { Ticks: > 0 } value ? value : throw new FormatException("--watch-slow-reader-timeout must be more than 0s")));
        OpenProbes = Env(new Flag<OnOff>("open-probes", null, "on", "With auth enabled, keep /ping, /livez, /readyz and /metrics open without credentials (for probes and scrapers); off requires a user for them too.", text => OnOff.Parse("open-probes", text)));
        OpenApiAccess = Env(new Flag<OpenApi.OpenApiAccess>("openapi-access", "MODE", "open", "Who may read the OpenAPI document (/openapi/v1.json) and the API reference (/scalar/): open (anyone, like /metrics), authenticated (any user once auth is enabled) or off (not served).", OpenApi.OpenApiAccessValues.Parse));
        AuthTokenTtl = Env(new Flag<TimeSpan>("auth-token-ttl", "DURATION", "10m", "How long a token from POST /v1/auth/token is valid.", AnyDuration("auth-token-ttl")));
        RehashPasswords = Env(new Flag<OnOff>("rehash-passwords", null, "on", "At a user's successful login, replace a password hash of an earlier kind (PBKDF2) with Argon2id through the log. Members of releases before it cannot apply that entry: off while a rolling upgrade from one is under way.", text => OnOff.Parse("rehash-passwords", text)));
        S2RetentionInterval = Env(new Flag<TimeSpan>("s2-retention-interval", "DURATION", "10s", "How often the leader enforces S2 streams' retention_policy and delete_on_empty (0s: never; set 0s while a rolling upgrade from a release without it is under way).", AnyDuration("s2-retention-interval")));
        LogLevel = Env(new Flag<LogLevel>("log-level", "LEVEL", "Information", "Trace, Debug, Information, Warning, Error or None.", LogLevelValue));
        Security = new SecurityFlags(environment);
        Backup = new Backups.BackupFlags(environment);
        Audit = new AuditFlags(environment);
        Tracing = new Observability.TracingFlags(environment);

        Command = new RootCommand("kvdb: a Raft-replicated key-value store with a REST API.");
        foreach (var flag in Flags)
            Command.Add((Option)flag);

        Flag<T> Env<T>(Flag<T> flag) => flag.FromEnvironment("KVDB_" + flag.FlagName.Replace('-', '_').ToUpperInvariant(), environment);
    }

    public RootCommand Command { get; }

    /// <summary>Every flag that takes a value or is a switch, in --help order (--help and --version are the command's own).</summary>
    public IReadOnlyList<IFlag> Flags =>
    [
        Id, Cluster, Port, PeerListen, PeerSourceAddress, Join, DataDir, InMemory, MaxValueBytes, RequestTimeout, MaxPendingWrites, MaxTxnOps, MaxLeases,
        SnapshotInterval, MemoryBudget, MinFreeDisk, ElectionTimeout, ReadLease, ThrottleApply, ThrottleAppendAcks, ThrottleSnapshotInstall,
        WatchHistory, WatchHistoryFloor, WatchSlowReaderTimeout, OpenProbes, OpenApiAccess, AuthTokenTtl, RehashPasswords, S2RetentionInterval, LogLevel,
        .. Security.Flags,
        .. Backup.Flags,
        .. Audit.Flags,
        .. Tracing.Flags,
    ];

    public Flag<int> Id { get; }
    public Flag<PeerList> Cluster { get; }
    public Flag<int> Port { get; }
    public Flag<IPEndPoint?> PeerListen { get; }
    public Flag<IPAddress?> PeerSourceAddress { get; }
    public Flag<OnOff> Join { get; }
    public Flag<string?> DataDir { get; }
    public Flag<OnOff> InMemory { get; }
    public Flag<int> MaxValueBytes { get; }
    public Flag<TimeSpan> RequestTimeout { get; }
    public Flag<int> MaxPendingWrites { get; }
    public Flag<int> MaxTxnOps { get; }
    public Flag<int> MaxLeases { get; }
    public Flag<int> SnapshotInterval { get; }
    public Flag<long> MemoryBudget { get; }
    public Flag<long> MinFreeDisk { get; }
    public Flag<TimeSpan> ElectionTimeout { get; }
    public Flag<OnOff> ReadLease { get; }
    public Flag<TimeSpan> ThrottleApply { get; }
    public Flag<TimeSpan> ThrottleAppendAcks { get; }
    public Flag<TimeSpan> ThrottleSnapshotInstall { get; }
    public Flag<TimeSpan> WatchHistory { get; }
    public Flag<long> WatchHistoryFloor { get; }
    public Flag<TimeSpan> WatchSlowReaderTimeout { get; }
    public Flag<TimeSpan> S2RetentionInterval { get; }
    public Flag<OnOff> OpenProbes { get; }
    public Flag<OpenApi.OpenApiAccess> OpenApiAccess { get; }
    public Flag<TimeSpan> AuthTokenTtl { get; }
    public Flag<OnOff> RehashPasswords { get; }
    public Flag<LogLevel> LogLevel { get; }
    public SecurityFlags Security { get; }
    public Backups.BackupFlags Backup { get; }
    public AuditFlags Audit { get; }
    public Observability.TracingFlags Tracing { get; }

    /// <summary>The options of a parse that has no errors.</summary>
    /// <exception cref="FormatException">Flags that are each valid do not fit together; the message is one line.</exception>
    public NodeOptions Build(ParseResult result)
    {
        // Checked here rather than in a command validator: System.CommandLine validates commands
        // before it fills in defaults, so a validator would not see --cluster's default.
        var cluster = result.GetRequiredValue(Cluster);
        var id = result.GetValue(Id);
        if (id > cluster.Urls.Count)
            throw new FormatException($"--id {id} is outside --cluster, which lists {cluster.Urls.Count} member(s); ids are 1..{cluster.Urls.Count}");

        var peerEndPoint = result.GetValue(PeerListen) ?? PeerList.ResolveOwn(cluster.Urls[id - 1]);
        var port = result.GetValue(Port);
        if (port == peerEndPoint.Port)
            throw new FormatException($"--port {port} is this member's peer port (its URL in --cluster); the client API needs a port of its own");

        return new NodeOptions
        {
            Id = id,
            PeerEndPoint = peerEndPoint,
            ClusterUrls = cluster.Urls,
            Port = port,
            PeerSourceAddress = result.GetValue(PeerSourceAddress),
            Join = result.GetValue(Join).IsOn,
            InMemory = result.GetValue(InMemory).IsOn,
            DataDir = result.GetValue(DataDir) ?? Path.Combine("data", $"node-{id}"),
            MaxValueBytes = result.GetValue(MaxValueBytes),
            RequestTimeout = result.GetValue(RequestTimeout),
            MaxPendingWrites = result.GetValue(MaxPendingWrites),
            MaxTxnOps = result.GetValue(MaxTxnOps),
            MaxLeases = result.GetValue(MaxLeases),
            SnapshotInterval = result.GetValue(SnapshotInterval),
            MemoryBudgetBytes = result.GetValue(MemoryBudget),
            MinFreeDiskBytes = result.GetValue(MinFreeDisk),
            ElectionTimeoutMs = (int)result.GetValue(ElectionTimeout).TotalMilliseconds,
            ReadLease = result.GetValue(ReadLease).IsOn,
            ThrottleApply = result.GetValue(ThrottleApply),
            ThrottleAppendAcks = result.GetValue(ThrottleAppendAcks),
            ThrottleSnapshotInstall = result.GetValue(ThrottleSnapshotInstall),
            WatchHistory = result.GetValue(WatchHistory),
            WatchHistoryFloor = result.GetValue(WatchHistoryFloor),
            WatchSlowReaderTimeout = result.GetValue(WatchSlowReaderTimeout),
            OpenProbes = result.GetValue(OpenProbes).IsOn,
            OpenApiAccess = result.GetValue(OpenApiAccess),
            AuthTokenTtl = result.GetValue(AuthTokenTtl),
            RehashPasswords = result.GetValue(RehashPasswords).IsOn,
            LogLevel = result.GetValue(LogLevel),
            Security = Security.Build(result, cluster.Urls[id - 1]),
            Backup = Backup.Build(result),
            Audit = Audit.Build(result),
            Tracing = Tracing.Build(result),
            Streams = new Streams.StreamsOptions { RetentionInterval = result.GetValue(S2RetentionInterval) },
        };
    }

    private static Flag<OnOff> Switch(string name, string summary)
        => new(name, null, "off", summary, text => OnOff.Parse(name, text));

    private static IPEndPoint? PeerListenValue(string text)
        => IPEndPoint.TryParse(text, out var endPoint) && endPoint.Port > 0
            ? endPoint
            : throw new FormatException($"--peer-listen '{text}' is not an address and port like 127.0.0.1:12379");

    private static IPAddress? PeerSourceAddressValue(string text)
        => IPAddress.TryParse(text, out var address)
            ? address
            : throw new FormatException($"--peer-source-address '{text}' is not an IP address like 127.0.0.2");

    private static Func<string, TimeSpan> AnyDuration(string flag) => text =>
        Duration.TryParse(text, out var value) ? value : throw new FormatException($"--{flag} '{text}' is not a duration like 200ms, 2s or 1m");

    private static TimeSpan ElectionTimeoutValue(string text)
    {
        var value = AnyDuration("election-timeout")(text);
        if (value < TimeSpan.FromMilliseconds(50) || value > TimeSpan.FromSeconds(60))
            throw new FormatException("--election-timeout must be between 50ms and 60s");
        return value;
    }

    private static Func<string, long> Bytes(string flag, long min, long max) => text =>
    {
        if (!ByteSize.TryParse(text, out var value) || value < min || value > max)
            throw new FormatException($"--{flag} '{text}' must be a size from {ByteSize.Format(min)} to {ByteSize.Format(max)}, like 64MiB");
        return value;
    };

    private static LogLevel LogLevelValue(string text)
    {
        if (!Enum.TryParse<LogLevel>(text, ignoreCase: true, out var level) || !Enum.IsDefined(level))
            throw new FormatException($"--log-level '{text}' is not one of Trace, Debug, Information, Warning, Error, Critical, None");
        return level;
    }
}
