// List commands as /v1/log shows them, in the request's own vocabulary:
//   {"Append": {"keyspace", "key", "items": [{"value": <log value>, "nonce", "timestamp"}], "idempotencyKey"}}
//   {"CreateKeyspace": {"name"}}, {"DeleteKeyspace": {"name"}}
// A nonce is a decimal string (it may pass 2^53); an item without a timestamp took the entry's
// proposed-at time, which the line's own time shows.
using System.Text;
using System.Text.Json;
using KvDb.Core.Commands;
using KvDb.Core.Lists;
using KvDb.Node.Api;

namespace KvDb.Node.Lists;

/// <summary>Writes list commands into log lines.</summary>
public static class ListLogJson
{
    /// <summary>Writes <paramref name="command"/> as a named object when it is a list command; false otherwise.</summary>
    public static bool TryWrite(Utf8JsonWriter json, KvCommand command)
    {
        switch (command)
        {
            case AppendCommand append:
                json.WriteStartObject("Append");
                WriteAppend(json, append);
                return true;
            case CreateKeyspaceCommand create:
                json.WriteStartObject("CreateKeyspace");
                json.WriteString("name", create.Name);
                return true;
            case DeleteKeyspaceCommand drop:
                json.WriteStartObject("DeleteKeyspace");
                json.WriteString("name", drop.Name);
                return true;
            default:
                return false;
        }
    }

    private static void WriteAppend(Utf8JsonWriter json, AppendCommand append)
    {
        json.WriteString("keyspace", append.Keyspace);
        json.WriteString("key", Encoding.UTF8.GetString(append.Key));
        json.WriteStartArray("items");
        foreach (var item in append.Items)
        {
            json.WriteStartObject();
            json.WritePropertyName("value");
            LogEntryJson.WriteValue(json, item.Value, ValueKind.Raw);
            if (item.Nonce is { } nonce)
                json.WriteString("nonce", ListEndpoints.NonceText(nonce));
            if (item.TimestampMs is { } timestamp)
                json.WriteNumber("timestamp", timestamp);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        if (append.IdempotencyKey is not null)
            json.WriteString("idempotencyKey", append.IdempotencyKey);
    }
}
