// kvdb's own System.Diagnostics.Metrics instruments, for code that records events as they
// happen (the proposal batcher) without depending on the Prometheus library. They reach
// /metrics through the same Meter bridge as DotNext's instruments (MeterBridge).
// Invariants:
//  - The meter's name is the Prometheus prefix: the bridge names a series "<meter>_<instrument>",
//    so MeterName "kvdb" + "raft_proposal_batch_writes" is kvdb_raft_proposal_batch_writes.
//  - Instruments are static (one process, one member); recording is lock-free and costs
//    nothing when no listener is attached.
using System.Diagnostics.Metrics;
using KvDb.Node.Hosting;

namespace KvDb.Node.Observability;

/// <summary>kvdb's event-driven instruments.</summary>
public static class KvdbInstruments
{
    /// <summary>The name of kvdb's Meter; also the prefix of its Prometheus series.</summary>
    public const string MeterName = "kvdb";

    private static readonly Meter Meter = new(MeterName, CommandLine.Version);

    /// <summary>Writes carried by each log entry this member proposed as leader: how well group commit batches.</summary>
    public static readonly Histogram<int> ProposalBatchWrites = Meter.CreateHistogram<int>(
        "raft_proposal_batch_writes", unit: "{write}", description: "Writes carried by each Raft log entry this member proposed as leader (group commit).");

    /// <summary>Watches streaming from this member now.</summary>
    public static readonly UpDownCounter<long> OpenWatches = Meter.CreateUpDownCounter<long>(
        "watch_open", unit: "{watch}", description: "Watches streaming from this member now.");

    /// <summary>Change events sent to watchers.</summary>
    public static readonly Counter<long> WatchEvents = Meter.CreateCounter<long>(
        "watch_events_sent", unit: "{event}", description: "Change events this member sent to watchers.");

    /// <summary>Watchers cut off because they stopped reading.</summary>
    public static readonly Counter<long> WatchersCutOff = Meter.CreateCounter<long>(
        "watch_cut_off", unit: "{watch}", description: "Watchers cut off because they did not read for --watch-slow-reader-timeout.");

    /// <summary>Watches that fell behind the hub (their queue was full) and caught up from the history by themselves.</summary>
    public static readonly Counter<long> WatchesFellBehind = Meter.CreateCounter<long>(
        "watch_fell_behind", unit: "{watch}", description: "Watches whose client read too slowly for the hub's queue, so they caught up from the change history by themselves.");

    /// <summary>Transactions answered, by outcome (succeeded: the then branch ran; failed: the else branch).</summary>
    public static readonly Counter<long> Transactions = Meter.CreateCounter<long>(
        "txn", unit: "{transaction}", description: "Transactions answered by this member: succeeded (then ran) or failed (else ran).");

    /// <summary>Leases granted through this member.</summary>
    public static readonly Counter<long> LeasesGranted = Meter.CreateCounter<long>(
        "leases_granted", unit: "{lease}", description: "Leases granted through this member.");

    /// <summary>Leases revoked by clients through this member.</summary>
    public static readonly Counter<long> LeasesRevoked = Meter.CreateCounter<long>(
        "leases_revoked", unit: "{lease}", description: "Leases revoked by clients through this member.");

    /// <summary>Leases this member, as leader, revoked because they expired.</summary>
    public static readonly Counter<long> LeasesExpired = Meter.CreateCounter<long>(
        "leases_expired", unit: "{lease}", description: "Leases this member, as leader, revoked because their TTL ran out.");

    /// <summary>Where the number of live leases is read from (set once the member starts).</summary>
    public static Func<int>? LiveLeases { get; set; }

    /// <summary>Leases alive in this member's applied state.</summary>
    public static readonly ObservableGauge<int> LeasesAlive = Meter.CreateObservableGauge(
        "leases_alive", static () => LiveLeases?.Invoke() ?? 0, unit: "{lease}", description: "Leases alive in this member's applied state.");

    /// <summary>Lock and campaign requests answered, by outcome (acquired, timeout).</summary>
    public static readonly Counter<long> LockWaits = Meter.CreateCounter<long>(
        "lock_waits", unit: "{request}", description: "Lock and election campaign requests answered by this member: acquired or timeout.");

    /// <summary>List items appended through this member.</summary>
    public static readonly Counter<long> ListItemsAppended = Meter.CreateCounter<long>(
        "list_items_appended", unit: "{item}", description: "List items appended through this member (duplicates skipped by nonce are not counted).");

    /// <summary>Requests refused by auth, by outcome (unauthorized, forbidden, rate_limited).</summary>
    public static readonly Counter<long> AuthRefusals = Meter.CreateCounter<long>(
        "auth_refusals", unit: "{request}", description: "Requests refused by auth: unauthorized (401), forbidden (403) or rate_limited (429).");

    /// <summary>Counts one refusal with HTTP <paramref name="status"/>.</summary>
    public static void RecordAuthRefusal(int status)
        => AuthRefusals.Add(1, new KeyValuePair<string, object?>("outcome", status switch { 401 => "unauthorized", 403 => "forbidden", 429 => "rate_limited", _ => "other" }));
}
