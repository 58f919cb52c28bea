// The features of a member, one line each. A feature's folder holds everything it adds; this
// list is the only place that names them all.
// Invariants: hosted services start in this order and stop in reverse, so the write path
// (first) stops after every feature that proposes through it; the Raft member is registered
// before all of them by the composition root.
using KvDb.Node.Audit;
using KvDb.Node.Auth;
using KvDb.Node.Backups;
using KvDb.Node.Dashboard;
using KvDb.Node.Elections;
using KvDb.Node.HttpKit;
using KvDb.Node.Keys;
using KvDb.Node.Leases;
using KvDb.Node.Lists;
using KvDb.Node.Locks;
using KvDb.Node.Log;
using KvDb.Node.Membership;
using KvDb.Node.Observability;
using KvDb.Node.Reads;
using KvDb.Node.Snapshots;
using KvDb.Node.Streams;
using KvDb.Node.Transactions;
using KvDb.Node.TypedValues;
using KvDb.Node.Watch;
using KvDb.Node.Writes;

namespace KvDb.Node.Hosting;

/// <summary>Every feature of a member.</summary>
public static class NodeFeatures
{
    /// <summary>The features, in registration order.</summary>
    public static IReadOnlyList<INodeFeature> All { get; } =
    [
        new WritesFeature(),
        new ReadsFeature(),
        new AuthFeature(),
        new AuditFeature(),
        new KeysFeature(),
        new WatchFeature(),
        new LeasesFeature(),
        new LocksFeature(),
        new ListsFeature(),
        new StreamsFeature(),
        new MembershipFeature(),
        new ObservabilityFeature(),
        new BackupsFeature(),
        new SnapshotsFeature(),
        new TypedValuesFeature(),
        new LogFeature(),
        new TransactionsFeature(),
        new ElectionsFeature(),
        new DashboardFeature(),
    ];
}
