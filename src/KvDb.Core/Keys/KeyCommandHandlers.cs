// The keys feature's commands: put and delete of one key, with conditions, leases and
// idempotency keys.
using System.Text;
using System.Text.Json;
using KvDb.Core.Commands;
using KvDb.Core.State;

namespace KvDb.Core.Keys;

/// <summary>Registers the keys feature's commands.</summary>
public sealed class KeysModule : ICommandModule
{
    /// <inheritdoc/>
    public void Register(CommandRegistry.Builder registry) => registry.Add(new PutHandler()).Add(new DeleteHandler());
}

internal sealed class PutHandler() : CommandHandler<PutCommand>(0, "Put")
{
    public override bool WritesUserData => true;

    public override CommandResult Apply(CommandExecutor executor, long index, PutCommand command) => executor.Put(index, command);

    public override string? IdempotencyKeyOf(PutCommand command) => command.IdempotencyKey;

    public override ulong FingerprintOf(PutCommand command) => IdempotencyRecord.FingerprintOf(command);

    public override bool TryClaim(PutCommand command, BatchClaims claims)
        => command.Condition is { MustNotExist: true } ? claims.TryClaimCreate(command.Key) : claims.TryClaim(command.Key);

    public override string? CheckLimits(PutCommand command, CommandLimits limits)
        => limits.IsValidKey(command.Key) && command.Value.Length <= limits.MaxValueBytes ? null : "an empty or oversized key or value";

    public override void WriteLog(Utf8JsonWriter json, PutCommand command, LogLineContext context)
    {
        json.WriteString("key", Encoding.UTF8.GetString(command.Key));
        json.WritePropertyName("value");
        LogValueJson.WriteValue(json, command.Value, command.Kind);
        LogValueJson.WriteWriteOptions(json, command.Condition, command.IdempotencyKey);
        if (command.Lease != 0)
            json.WriteNumber("lease", command.Lease);
        if (command.GrantTtlMs > 0)
            json.WriteNumber("grantTtlMs", command.GrantTtlMs);
        if (command.GrantTtlMs > 0 && command.GrantOwner is not null)
            json.WriteString("grantOwner", command.GrantOwner);
    }
}

internal sealed class DeleteHandler() : CommandHandler<DeleteCommand>(1, "Delete")
{
    public override bool WritesUserData => true;

    public override CommandResult Apply(CommandExecutor executor, long index, DeleteCommand command) => executor.Delete(index, command);

    public override string? IdempotencyKeyOf(DeleteCommand command) => command.IdempotencyKey;

    public override ulong FingerprintOf(DeleteCommand command) => IdempotencyRecord.FingerprintOf(command);

    public override bool TryClaim(DeleteCommand command, BatchClaims claims) => claims.TryClaim(command.Key);

    public override string? CheckLimits(DeleteCommand command, CommandLimits limits)
        => limits.IsValidKey(command.Key) ? null : "an empty or oversized key";

    public override void WriteLog(Utf8JsonWriter json, DeleteCommand command, LogLineContext context)
    {
        json.WriteString("key", Encoding.UTF8.GetString(command.Key));
        LogValueJson.WriteWriteOptions(json, command.Condition, command.IdempotencyKey);
    }
}
