// A transaction as /v1/log shows it: {"Txn": {"if": [...], "then": [...], "else": [...],
// "succeeded": true|false|null, "idempotencyKey": ...}}, in the request's own vocabulary.
// "succeeded" comes from the change history and is null once the history has forgotten it.
using System.Text;
using System.Text.Json;
using KvDb.Core.Commands;

namespace KvDb.Core.Transactions;

/// <summary>Writes transactions into log lines.</summary>
internal static class TxnLogJson
{
    /// <summary>Writes the fields of <paramref name="txn"/> into the open object.</summary>
    public static void Write(Utf8JsonWriter json, TxnCommand txn, bool? succeeded)
    {
        json.WriteStartArray("if");
        foreach (var comparison in txn.Comparisons)
        {
            json.WriteStartObject();
            json.WriteString("key", Encoding.UTF8.GetString(comparison.Key));
            json.WriteString("target", comparison.Target switch
            {
                TxnTarget.Revision => "revision",
                TxnTarget.CreateRevision => "createRevision",
                TxnTarget.Version => "version",
                TxnTarget.Value => "value",
                _ => "exists",
            });
            json.WriteString("op", comparison.Operator switch { TxnOperator.Equal => "==", TxnOperator.NotEqual => "!=", TxnOperator.Less => "<", _ => ">" });
            if (comparison.Target is TxnTarget.Value)
                json.WriteString("value", Encoding.UTF8.GetString(comparison.Bytes ?? []));
            else if (comparison.Target is TxnTarget.Exists)
                json.WriteBoolean("value", comparison.Number != 0);
            else
                json.WriteNumber("value", comparison.Number);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        WriteBranch(json, "then", txn.Then);
        WriteBranch(json, "else", txn.Else);
        if (succeeded is { } outcome)
            json.WriteBoolean("succeeded", outcome);
        else
            json.WriteNull("succeeded");
        if (txn.IdempotencyKey is not null)
            json.WriteString("idempotencyKey", txn.IdempotencyKey);
    }

    private static void WriteBranch(Utf8JsonWriter json, string name, TxnOperation[] operations)
    {
        json.WriteStartArray(name);
        foreach (var operation in operations)
        {
            json.WriteStartObject();
            json.WriteStartObject(operation.Kind switch
            {
                TxnOperationKind.Put => "put",
                TxnOperationKind.Delete or TxnOperationKind.DeleteRange => "delete",
                TxnOperationKind.Get => "get",
                _ => "range",
            });
            if (operation.Kind is TxnOperationKind.DeleteRange or TxnOperationKind.Range)
            {
                json.WriteString("start", Encoding.UTF8.GetString(operation.Key));
                if (operation.End is not null)
                    json.WriteString("end", Encoding.UTF8.GetString(operation.End));
                if (operation.Kind is TxnOperationKind.Range)
                    json.WriteNumber("limit", operation.Limit);
            }
            else
            {
                json.WriteString("key", Encoding.UTF8.GetString(operation.Key));
            }

            if (operation.Kind is TxnOperationKind.Put)
            {
                json.WritePropertyName("value");
                LogValueJson.WriteValue(json, operation.Value!, operation.ValueKind);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}
