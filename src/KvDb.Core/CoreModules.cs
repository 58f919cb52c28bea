// The features of this build whose commands travel through the Raft log: one line each. A new
// command is a handler in its feature's folder and, for a new feature, one line here.
using KvDb.Core.Auth;
using KvDb.Core.Commands;
using KvDb.Core.Keys;
using KvDb.Core.Leases;
using KvDb.Core.Lists;
using KvDb.Core.Locks;
using KvDb.Core.Membership;
using KvDb.Core.Streams;
using KvDb.Core.Transactions;

namespace KvDb.Core;

/// <summary>The command modules of every feature.</summary>
public static class CoreModules
{
    /// <summary>The modules, in no significant order (tags, not order, are the log format).</summary>
    public static IReadOnlyList<ICommandModule> All { get; } =
    [
        new KeysModule(),
        new MembershipModule(),
        new AuthModule(),
        new TransactionsModule(),
        new LeasesModule(),
        new LocksModule(),
        new ListsModule(),
        new StreamsModule(),
    ];
}
