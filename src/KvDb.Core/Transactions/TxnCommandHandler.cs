// The transactions feature's command: compare, then one branch of writes, at one revision.
using System.Text.Json;
using KvDb.Core.Commands;
using KvDb.Core.State;

namespace KvDb.Core.Transactions;

/// <summary>Registers the transactions feature's command.</summary>
public sealed class TransactionsModule : ICommandModule
{
    /// <inheritdoc/>
    public void Register(CommandRegistry.Builder registry) => registry.Add(new TxnHandler());
}

internal sealed class TxnHandler() : CommandHandler<TxnCommand>(11, "Txn")
{
    public override bool WritesUserData => true;

    public override CommandResult Apply(CommandExecutor executor, long index, TxnCommand command) => executor.Transaction(index, command);

    public override string? IdempotencyKeyOf(TxnCommand command) => command.IdempotencyKey;

    public override ulong FingerprintOf(TxnCommand command) => TxnReply.FingerprintOf(command);

    // A transaction counts with every key its branches write. One that deletes a range cannot
    // name its keys in advance: it goes only into an empty batch, and closes it.
    public override bool TryClaim(TxnCommand command, BatchClaims claims)
    {
        var writes = command.Then.Concat(command.Else).Where(static o => o.Writes).ToList();
        if (writes.Exists(static o => o.Kind is TxnOperationKind.DeleteRange))
            return claims.TryClaimAlone();
        return claims.TryClaimAll(writes.ConvertAll(static o => o.Key));
    }

    public override string? CheckLimits(TxnCommand command, CommandLimits limits)
    {
        var fits = command.Validate() is null
            && command.Comparisons.Length <= limits.MaxTxnOps && command.Then.Length <= limits.MaxTxnOps && command.Else.Length <= limits.MaxTxnOps
            && command.Keys().All(k => k.Length <= limits.MaxKeyBytes)
            && command.Then.Concat(command.Else).All(o => (o.Value?.Length ?? 0) <= limits.MaxValueBytes);
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
