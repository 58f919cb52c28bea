// The leases feature's commands: grants and revocations (keys attach through puts).
using System.Text.Json;
using KvDb.Core.Commands;
using KvDb.Core.State;

namespace KvDb.Core.Leases;

/// <summary>Registers the leases feature's commands.</summary>
public sealed class LeasesModule : ICommandModule
{
    /// <inheritdoc/>
    public void Register(CommandRegistry.Builder registry) => registry.Add(new GrantLeaseHandler()).Add(new RevokeLeaseHandler());
}

internal sealed class GrantLeaseHandler() : CommandHandler<GrantLeaseCommand>(12, "GrantLease")
{
    public override CommandResult Apply(CommandExecutor executor, long index, GrantLeaseCommand command) => executor.GrantLease(index, command.Id, command.TtlMs, command.Owner);

    public override string? IdempotencyKeyOf(GrantLeaseCommand command) => command.IdempotencyKey;

    public override ulong FingerprintOf(GrantLeaseCommand command)
    {
        Span<byte> fields = stackalloc byte[2 * sizeof(long)];
        BitConverter.TryWriteBytes(fields, command.Id);
        BitConverter.TryWriteBytes(fields[sizeof(long)..], command.TtlMs);
        return System.IO.Hashing.XxHash64.HashToUInt64(fields);
    }

    public override void WriteLog(Utf8JsonWriter json, GrantLeaseCommand command, LogLineContext context)
    {
        json.WriteNumber("id", command.Id);
        json.WriteNumber("ttlMs", command.TtlMs);
        if (command.Owner is not null)
            json.WriteString("owner", command.Owner);
    }
}

internal sealed class RevokeLeaseHandler() : CommandHandler<RevokeLeaseCommand>(13, "RevokeLease")
{
    public override CommandResult Apply(CommandExecutor executor, long index, RevokeLeaseCommand command) => executor.RevokeLease(index, command.Id);

    public override void WriteLog(Utf8JsonWriter json, RevokeLeaseCommand command, LogLineContext context)
    {
        json.WriteNumber("id", command.Id);
        json.WriteBoolean("expired", command.Expired);
    }
}
