// The transactions feature's command: compare, then one branch of writes, at one revision.
using System.Text.Json;
using KvDb.Core.Commands;
using KvDb.Core.State;

namespace KvDb.Core.Transactions;

/// <summary>Registers the transactions feature's command.</summary>
public sealed class TransactionsModule : ICommandModule
{
    /// <inheritdoc/>
    public void Register(CommandRegistry.Builder registry) => registry.Add(new TxnHandler()).Add(new RangeTxnHandler());
}

internal sealed class TxnHandler() : CommandHandler<TxnCommand>(11, "Txn")
{
    public override bool WritesUserData => true;

    public override CommandResult Apply(CommandExecutor executor, long index, TxnCommand command) => executor.Transaction(index, command);

    public override string? IdempotencyKeyOf(TxnCommand command) => command.IdempotencyKey;

    public override ulong FingerprintOf(TxnCommand command) => TxnReply.FingerprintOf(command);

    // A transaction counts with every key its branches write. One that deletes a range cannot
    // name its keys in advance: it goes only into an empty batch, and closes it.
    public override bool TryClaim(TxnCommand command, BatchClaims claims) => Claim(command.Then, command.Else, claims);

    public override string? CheckLimits(TxnCommand command, CommandLimits limits)
        => Fits(command.Validate(), command.Comparisons.Length, command.Then, command.Else, command.Keys(), limits);

    internal static bool Claim(TxnOperation[] then, TxnOperation[] otherwise, BatchClaims claims)
    {
        var writes = then.Concat(otherwise).Where(static o => o.Writes).ToList();
        if (writes.Exists(static o => o.Kind is TxnOperationKind.DeleteRange))
            return claims.TryClaimAlone();
        return claims.TryClaimAll(writes.ConvertAll(static o => o.Key));
    }

    internal static string? Fits(string? invalid, int comparisons, TxnOperation[] then, TxnOperation[] otherwise, IEnumerable<byte[]> keys, CommandLimits limits)
    {
        var fits = invalid is null
            && comparisons <= limits.MaxTxnOps && then.Length <= limits.MaxTxnOps && otherwise.Length <= limits.MaxTxnOps
            && keys.All(k => k.Length <= limits.MaxKeyBytes)
            && then.Concat(otherwise).All(o => (o.Value?.Length ?? 0) <= limits.MaxValueBytes);
        return fits ? null : "a transaction over the member's limits";
    }

    // "succeeded" comes from the change history and is null once the history has forgotten it.
    public override void WriteLog(Utf8JsonWriter json, TxnCommand command, LogLineContext context)
    {
        var outcomes = context.Record?.TransactionOutcomes;
        bool? succeeded = outcomes is not null && context.Ordinal < outcomes.Length ? outcomes[context.Ordinal] : null;
        TxnLogJson.Write(json, command, succeeded);
    }
}

// A transaction with range comparisons: its own kind (see RangeTxnCommand), so members of an
// earlier release never receive it; otherwise handled exactly as a Txn.
internal sealed class RangeTxnHandler() : CommandHandler<RangeTxnCommand>(26, "RangeTxn")
{
    public override bool WritesUserData => true;

    public override CommandResult Apply(CommandExecutor executor, long index, RangeTxnCommand command) => executor.Transaction(index, command);

    public override string? IdempotencyKeyOf(RangeTxnCommand command) => command.IdempotencyKey;

    public override ulong FingerprintOf(RangeTxnCommand command) => TxnReply.FingerprintOf(command);

    public override bool TryClaim(RangeTxnCommand command, BatchClaims claims) => TxnHandler.Claim(command.Then, command.Else, claims);

    public override string? CheckLimits(RangeTxnCommand command, CommandLimits limits)
        => TxnHandler.Fits(command.Validate(), command.Comparisons.Length, command.Then, command.Else, command.Keys(), limits);

    public override void WriteLog(Utf8JsonWriter json, RangeTxnCommand command, LogLineContext context)
    {
        var outcomes = context.Record?.TransactionOutcomes;
        bool? succeeded = outcomes is not null && context.Ordinal < outcomes.Length ? outcomes[context.Ordinal] : null;
        TxnLogJson.Write(json, command, succeeded);
    }
}
