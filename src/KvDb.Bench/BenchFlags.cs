// The flags of `kvdb bench` as a System.CommandLine command, and the BenchOptions they make.
// Invariants:
//  - Each flag is declared once, here, in --help order: name, value placeholder, default, help
//    text and parser together. None reads the environment (see BenchCommandLine).
//  - Each flag validates its own value (--cacert reads its file then); Build resolves the
//    defaults that depend on other flags (--endpoints and --http-version on --target, --preload on --mix,
//    --watch-endpoint on --endpoints) and refuses the combinations that cannot work: --token
//    with --user, --watchers or --idempotency-keys with --target etcd, more --watch-ranges than --keys.
using System.CommandLine;
using System.CommandLine.Help;
using KvDb.Flags;

namespace KvDb.Bench;

/// <summary>The flags of <c>kvdb bench</c>.</summary>
internal sealed class BenchFlags
{
    private const int MaxConcurrency = 100_000;
    private const int MaxKeys = 100_000_000;
    private const int MaxValueSize = 64 << 20;
    private const int MaxWatchers = 100_000;

    public BenchFlags()
    {
        Endpoints = new("endpoints", "URLS", $"{BenchCommandLine.DefaultKvdbEndpoint} (etcd: {BenchCommandLine.DefaultEtcdEndpoint})", "Comma-separated base URLs of the members' HTTP APIs. Worker i always talks to endpoint i mod N, so load is spread round-robin.", BenchCommandLine.ParseEndpoints, defaultValue: () => null);
        Target = new("target", "kvdb|etcd", "kvdb", "kvdb: PUT/GET /{key}. etcd: its v3 JSON gateway, POST /v3/kv/put and /v3/kv/range with base64 keys and values.", TargetValue);
        Duration = new("duration", "DURATION", "10s", "How long results are recorded (after the warm-up).", Span("duration", TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(24)));
        Warmup = new("warmup", "DURATION", "1s", "Load before recording starts, excluded from the results (opens connections, warms caches). 0s for none.", Span("warmup", TimeSpan.Zero, TimeSpan.FromHours(1)));
        Concurrency = new("concurrency", "N", "64", $"Closed loop: requests kept in flight (one per worker). Open loop: the most in flight at once. 1 to {MaxConcurrency}.", WholeNumber.Between("concurrency", 1, MaxConcurrency));
        ValueSize = new("value-size", "BYTES", "100", "Bytes per value written.", WholeNumber.Between("value-size", 0, MaxValueSize));
        Keys = new("keys", "N", "10000", "Size of the key space; each operation picks one of the keys bench-0..bench-(N-1) uniformly (the number zero-padded to one width).", WholeNumber.Between("keys", 1, MaxKeys));
        Mix = new("mix", "KIND=PCT,...", "put=50,get=50", "Share of each operation in percent, adding up to 100; kinds are put, get, txn (compare a key's version, then put it and the next key), append (one item to the list of the key in keyspace bench; kvdb only) and lease (grant a 60 s lease) (e.g. put=100, get=100, put=20,get=80, txn=100, append=100, lease=100).", OperationMix.Parse);
        Consistency = new("consistency", "MODE", "linearizable", "Reads: linearizable, or local (kvdb ?consistency=local; etcd \"serializable\": true).", ConsistencyValue);
        RequestVersion = new("http-version", "1.1|2", "2 (etcd: 1.1)", "2: every endpoint's requests share HTTP/2 connections (prior knowledge on http://, ALPN on https://), as the client package sends them. 1.1: one request at a time per keep-alive connection, a connection per worker (etcd's JSON gateway takes only this).", RequestVersionValue, defaultValue: () => null);
        IdempotencyKeys = new("idempotency-keys", null, "off", "Every put carries an Idempotency-Key of its own, as the client package sends every write, so kvdb remembers each (kvdb only).", text => OnOff.Parse("idempotency-keys", text));
        TargetRate = new("target-rate", "OPS", "off (closed loop)", "Open loop: start OPS operations per second in total on a fixed schedule, whatever the answers; latency counts from each request's intended start, so a stall is not hidden (no coordinated omission).", text => WholeNumber.Between("target-rate", 1, 100_000_000)(text), defaultValue: () => null);
        Timeout = new("timeout", "DURATION", "10s", "A request not answered within this counts as a timeout error.", Span("timeout", TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1)));
        Preload = new("preload", null, "on when the mix has gets", "Write every key once before the warm-up so reads hit existing keys; --preload=false to skip.", text => OnOff.Parse("preload", text), defaultValue: () => null);
        Watchers = new("watchers", "N", "0 (off)", $"Watch mode (kvdb only): before the warm-up, open N watches on --watch-endpoint (one HTTP/1.1 connection each) and report how long each measured put took from its acknowledgement to every matching watcher, and the member's memory. 0 to {MaxWatchers}.", WholeNumber.Between("watchers", 0, MaxWatchers), defaultValue: () => 0);
        WatchRanges = new("watch-ranges", "P", "250", "Watch mode: split the keys into P contiguous ranges (1 to --keys); watcher w watches range w mod P with start=/end=.", WholeNumber.Between("watch-ranges", 1, MaxKeys));
        WatchEndpoint = new("watch-endpoint", "URL", "the first of --endpoints", "Watch mode: the base URL of the member that serves every watch (and whose /metrics is read).", text => BenchCommandLine.ParseEndpoint("watch-endpoint", text), defaultValue: () => null);
        Json = new("json", null, "off", "Print the results as one JSON object on stdout instead of a table.", text => OnOff.Parse("json", text));
        CaCert = new("cacert", "FILE", "the system's roots", "https endpoints: trust this PEM CA (e.g. scripts/make-certs' ca.pem) for the servers' certificates, whose names must match the endpoints' hosts.", BenchAuthentication.ReadCa, defaultValue: () => null);
        Token = new("token", "TOKEN", "none", "Send Authorization: Bearer TOKEN with every request (etcd: the token alone, as its gateway expects).", text => text.Length > 0 && !text.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)) ? text : throw new FormatException("--token needs a token without spaces or control characters"), defaultValue: () => null);
        User = new("user", "NAME:PASSWORD", "none", "Send HTTP Basic authentication with every request.", BenchAuthentication.ParseUser, defaultValue: () => null);

        // A plain Command, not a RootCommand: kvdb bench has --help but no --version of its own.
        Command = new Command("bench", "kvdb bench: a load generator for kvdb (or etcd, for comparison) over HTTP/2 or keep-alive HTTP/1.1.") { new HelpOption() };
        foreach (var flag in Flags)
            Command.Add((Option)flag);
    }

    public Command Command { get; }

    /// <summary>Every flag but --help, in --help order.</summary>
    public IReadOnlyList<IFlag> Flags =>
        [Endpoints, Target, Duration, Warmup, Concurrency, ValueSize, Keys, Mix, Consistency, RequestVersion, IdempotencyKeys, TargetRate, Timeout, Preload, Watchers, WatchRanges, WatchEndpoint, Json, CaCert, Token, User];

    public Flag<List<Uri>?> Endpoints { get; }
    public Flag<BenchTarget> Target { get; }
    public Flag<TimeSpan> Duration { get; }
    public Flag<TimeSpan> Warmup { get; }
    public Flag<int> Concurrency { get; }
    public Flag<int> ValueSize { get; }
    public Flag<int> Keys { get; }
    public Flag<OperationMix> Mix { get; }
    public Flag<BenchConsistency> Consistency { get; }
    public Flag<Version?> RequestVersion { get; }
    public Flag<OnOff> IdempotencyKeys { get; }
    public Flag<int?> TargetRate { get; }
    public Flag<TimeSpan> Timeout { get; }
    public Flag<OnOff?> Preload { get; }
    public Flag<int> Watchers { get; }
    public Flag<int> WatchRanges { get; }
    public Flag<Uri?> WatchEndpoint { get; }
    public Flag<OnOff> Json { get; }
    public Flag<System.Security.Cryptography.X509Certificates.X509Certificate2Collection?> CaCert { get; }
    public Flag<string?> Token { get; }
    public Flag<string?> User { get; }

    /// <summary>The options of a parse that has no errors.</summary>
    /// <exception cref="FormatException">--token and --user are both given, or watch mode is asked of etcd or with more ranges than keys.</exception>
    public BenchOptions Build(ParseResult result)
    {
        var token = result.GetValue(Token);
        var user = result.GetValue(User);
        if (token is not null && user is not null)
            throw new FormatException("--token and --user both set Authorization; give one of them");

        var target = result.GetValue(Target);
        var mix = result.GetRequiredValue(Mix);
        var keys = result.GetValue(Keys);
        var watchers = result.GetValue(Watchers);
        var watchRanges = result.GetValue(WatchRanges);
        if (watchers > 0 && target is BenchTarget.Etcd)
            throw new FormatException("--watchers needs --target kvdb: watch mode reads kvdb's GET /v1/watch");
        var idempotencyKeys = result.GetValue(IdempotencyKeys).IsOn;
        if (target is BenchTarget.Etcd && idempotencyKeys)
            throw new FormatException("--idempotency-keys needs --target kvdb: etcd has no idempotency keys");
        if (target is BenchTarget.Etcd && mix.Has(OperationKind.Append))
            throw new FormatException("--mix append needs --target kvdb: etcd has no lists");
        if (watchers > 0 && watchRanges > keys)
            throw new FormatException($"--watch-ranges {watchRanges} must be at most --keys ({keys}): each range holds at least one key");

        // Not given, --endpoints comes back empty rather than null (System.CommandLine turns a null
        // list into an empty one); a given --endpoints is never empty, so empty means "by target".
        var endpoints = result.GetValue(Endpoints) is { Count: > 0 } given
            ? given
            : BenchCommandLine.ParseEndpoints(target is BenchTarget.Etcd ? BenchCommandLine.DefaultEtcdEndpoint : BenchCommandLine.DefaultKvdbEndpoint);
        return new BenchOptions
        {
            Target = target,
            Endpoints = endpoints,
            Duration = result.GetValue(Duration),
            Warmup = result.GetValue(Warmup),
            Concurrency = result.GetValue(Concurrency),
            ValueSize = result.GetValue(ValueSize),
            Keys = keys,
            Mix = mix,
            Consistency = result.GetValue(Consistency),
            RequestVersion = result.GetValue(RequestVersion) ?? (target is BenchTarget.Etcd ? System.Net.HttpVersion.Version11 : System.Net.HttpVersion.Version20),
            IdempotencyKeys = idempotencyKeys,
            TargetRate = result.GetValue(TargetRate),
            Timeout = result.GetValue(Timeout),
            Preload = result.GetValue(Preload)?.IsOn ?? mix.Has(OperationKind.Get),
            Watchers = watchers,
            WatchRanges = watchRanges,
            WatchEndpoint = result.GetValue(WatchEndpoint) ?? endpoints[0],
            Json = result.GetValue(Json).IsOn,
            TrustedCa = result.GetValue(CaCert),
            Authorization = token is not null ? BenchAuthentication.Bearer(token, target) : user,
        };
    }

    private static BenchTarget TargetValue(string text) => text.ToLowerInvariant() switch
    {
        "kvdb" => BenchTarget.Kvdb,
        "etcd" => BenchTarget.Etcd,
        var other => throw new FormatException($"--target '{other}' is not kvdb or etcd"),
    };

    private static Version RequestVersionValue(string text) => text switch
    {
        "1.1" => System.Net.HttpVersion.Version11,
        "2" or "2.0" => System.Net.HttpVersion.Version20,
        var other => throw new FormatException($"--http-version '{other}' is not 1.1 or 2"),
    };

    private static BenchConsistency ConsistencyValue(string text) => text.ToLowerInvariant() switch
    {
        "linearizable" => BenchConsistency.Linearizable,
        "local" or "serializable" => BenchConsistency.Local,
        var other => throw new FormatException($"--consistency '{other}' is not linearizable or local"),
    };

    private static Func<string, TimeSpan> Span(string flag, TimeSpan min, TimeSpan max) => text =>
    {
        if (!KvDb.Flags.Duration.TryParse(text, out var value))
            throw new FormatException($"--{flag} '{text}' is not a duration like 200ms, 10s or 1m");
        if (value < min || value > max)
            throw new FormatException($"--{flag} '{text}' must be from {Describe(min)} to {Describe(max)}");
        return value;
    };

    private static string Describe(TimeSpan span) => span switch
    {
        { Ticks: 0 } => "0s",
        { TotalHours: >= 1 } => $"{span.TotalHours:0.#}h",
        { TotalSeconds: >= 1 } => $"{span.TotalSeconds:0.#}s",
        _ => $"{span.TotalMilliseconds:0.#}ms",
    };
}
