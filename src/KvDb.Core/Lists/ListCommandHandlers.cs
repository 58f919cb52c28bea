// List commands as /v1/log shows them, in the request's own vocabulary:
//   {"Append": {"keyspace", "key", "items": [{"value": <log value>, "nonce", "timestamp"}], "idempotencyKey"}}
//   {"CreateKeyspace": {"name"}}, {"DeleteKeyspace": {"name"}}
// A nonce is a decimal string (it may pass 2^53); an item without a timestamp took the entry's
// proposed-at time, which the line's own time shows.
using System.Text;
using System.Text.Json;
using KvDb.Core.Commands;
using KvDb.Core.State;

namespace KvDb.Core.Lists;

/// <summary>Registers the lists feature's commands.</summary>
public sealed class ListsModule : ICommandModule
{
    /// <inheritdoc/>
    public void Register(CommandRegistry.Builder registry)
        => registry.Add(new CreateKeyspaceHandler()).Add(new DeleteKeyspaceHandler()).Add(new AppendHandler());
}

internal sealed class CreateKeyspaceHandler() : CommandHandler<CreateKeyspaceCommand>(14, "CreateKeyspace")
{
    public override CommandResult Apply(CommandExecutor executor, long index, CreateKeyspaceCommand command) => executor.CreateKeyspace(command);

    public override void WriteLog(Utf8JsonWriter json, CreateKeyspaceCommand command, LogLineContext context) => json.WriteString("name", command.Name);
}

internal sealed class DeleteKeyspaceHandler() : CommandHandler<DeleteKeyspaceCommand>(15, "DeleteKeyspace")
{
    public override CommandResult Apply(CommandExecutor executor, long index, DeleteKeyspaceCommand command) => executor.DeleteKeyspace(index, command);

    public override void WriteLog(Utf8JsonWriter json, DeleteKeyspaceCommand command, LogLineContext context) => json.WriteString("name", command.Name);
}

internal sealed class AppendHandler() : CommandHandler<AppendCommand>(16, "Append")
{
    public override bool WritesUserData => true;

    public override CommandResult Apply(CommandExecutor executor, long index, AppendCommand command) => executor.Append(index, command);

    public override string? IdempotencyKeyOf(AppendCommand command) => command.IdempotencyKey;

    public override ulong FingerprintOf(AppendCommand command) => command.Fingerprint();

    public override void WriteLog(Utf8JsonWriter json, AppendCommand append, LogLineContext context)
    {
        json.WriteString("keyspace", append.Keyspace);
        json.WriteString("key", Encoding.UTF8.GetString(append.Key));
        json.WriteStartArray("items");
        foreach (var item in append.Items)
        {
            json.WriteStartObject();
            json.WritePropertyName("value");
            LogValueJson.WriteValue(json, item.Value, ValueKind.Raw);
            if (item.Nonce is { } nonce)
                json.WriteString("nonce", ListNonce.Format(nonce));
            if (item.TimestampMs is { } timestamp)
                json.WriteNumber("timestamp", timestamp);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        if (append.IdempotencyKey is not null)
            json.WriteString("idempotencyKey", append.IdempotencyKey);
    }
}
