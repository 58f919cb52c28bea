// The JSON answer of POST /v1/txn:
//   {"succeeded": true, "revision": 57, "results": [{"put": {"revision": 57}},
//    {"delete": {"revision": 57, "deleted": 1}}, {"get": {"key", "value", "revision",
//    "createRevision", "version"}} or {"get": null}, {"range": {"items": [...], "more": false}}]}
// Values appear as in ranges and watch events (ValueJson): text, valueBase64, or typed JSON.
using System.Text;
using System.Text.Json;
using KvDb.Core.Transactions;
using KvDb.Core.Values;
using KvDb.Node.HttpKit;

namespace KvDb.Node.Transactions;

/// <summary>Writes transaction replies as JSON.</summary>
public static class TxnResponse
{
    /// <summary>The JSON of <paramref name="reply"/> for a transaction applied at <paramref name="revision"/>.</summary>
    public static byte[] Encode(TxnReply reply, long revision)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, TypedValueJson.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteBoolean("succeeded", reply.Succeeded);
            json.WriteNumber("revision", revision);
            json.WriteStartArray("results");
            foreach (var result in reply.Results)
                WriteResult(json, result);
            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteResult(Utf8JsonWriter json, TxnOperationResult result)
    {
        json.WriteStartObject();
        switch (result.Kind)
        {
            case TxnOperationKind.Put:
                json.WriteStartObject("put");
                json.WriteNumber("revision", result.Revision);
                json.WriteEndObject();
                break;
            case TxnOperationKind.Delete or TxnOperationKind.DeleteRange:
                json.WriteStartObject("delete");
                json.WriteNumber("revision", result.Revision);
                json.WriteNumber("deleted", result.Deleted);
                json.WriteEndObject();
                break;
            case TxnOperationKind.Get when result.Item is { } item:
                json.WritePropertyName("get");
                WriteItem(json, item);
                break;
            case TxnOperationKind.Get:
                json.WriteNull("get");
                break;
            default:
                json.WriteStartObject("range");
                json.WriteStartArray("items");
                foreach (var item in result.Items ?? [])
                    WriteItem(json, item);
                json.WriteEndArray();
                json.WriteBoolean("more", result.More);
                json.WriteEndObject();
                break;
        }

        json.WriteEndObject();
    }

    private static void WriteItem(Utf8JsonWriter json, TxnItem item)
    {
        json.WriteStartObject();
        json.WriteString("key", Encoding.UTF8.GetString(item.Key));
        ValueJson.Write(json, "value", "typed", item.Value, item.Kind);
        json.WriteNumber("revision", item.Revision);
        json.WriteNumber("createRevision", item.CreateRevision);
        json.WriteNumber("version", item.Version);
        json.WriteEndObject();
    }
}
