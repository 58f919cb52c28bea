// A transaction as /v1/log shows it: {"Txn": {"if": [...], "then": [...], "else": [...],
// "succeeded": true|false|null, "idempotencyKey": ...}}, in the request's own vocabulary; one with
// range comparisons is {"RangeTxn": {...}}, each range comparison as {"start", "end", ...}.
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
            WriteComparison(json, comparison.Target, comparison.Operator, comparison.Number, comparison.Bytes);
        }

        json.WriteEndArray();
        WriteRest(json, txn.Then, txn.Else, succeeded, txn.IdempotencyKey);
    }

    /// <summary>Writes the fields of <paramref name="txn"/> into the open object: a range comparison as {"start", "end"} (no end: to the last key).</summary>
    public static void Write(Utf8JsonWriter json, RangeTxnCommand txn, bool? succeeded)
    {
        json.WriteStartArray("if");
        foreach (var comparison in txn.Comparisons)
        {
            json.WriteStartObject();
            if (comparison.IsRange)
            {
                json.WriteString("start", Encoding.UTF8.GetString(comparison.Key));
                if (comparison.End is not null)
                    json.WriteString("end", Encoding.UTF8.GetString(comparison.End));
            }
            else
            {
                json.WriteString("key", Encoding.UTF8.GetString(comparison.Key));
            }

            WriteComparison(json, comparison.Target, comparison.Operator, comparison.Number, comparison.Bytes);
        }

        json.WriteEndArray();
        WriteRest(json, txn.Then, txn.Else, succeeded, txn.IdempotencyKey);
    }

    // target, op and value, then closes the comparison's object.
    private static void WriteComparison(Utf8JsonWriter json, TxnTarget target, TxnOperator op, long number, byte[]? bytes)
    {
        json.WriteString("target", target switch
        {
            TxnTarget.Revision => "revision",
            TxnTarget.CreateRevision => "createRevision",
            TxnTarget.Version => "version",
            TxnTarget.Value => "value",
            TxnTarget.Count => "count",
            _ => "exists",
        });
        json.WriteString("op", op switch { TxnOperator.Equal => "==", TxnOperator.NotEqual => "!=", TxnOperator.Less => "<", _ => ">" });
        if (target is TxnTarget.Value)
            json.WriteString("value", Encoding.UTF8.GetString(bytes ?? []));
        else if (target is TxnTarget.Exists)
            json.WriteBoolean("value", number != 0);
        else
            json.WriteNumber("value", number);
        json.WriteEndObject();
    }

    private static void WriteRest(Utf8JsonWriter json, TxnOperation[] then, TxnOperation[] otherwise, bool? succeeded, string? idempotencyKey)
    {
        WriteBranch(json, "then", then);
        WriteBranch(json, "else", otherwise);
        if (succeeded is { } outcome)
            json.WriteBoolean("succeeded", outcome);
        else
            json.WriteNull("succeeded");
        if (idempotencyKey is not null)
            json.WriteString("idempotencyKey", idempotencyKey);
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
