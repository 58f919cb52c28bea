// The JSON answer of POST /v1/txn (KvDb.Contracts' TxnResponseJson):
//   {"succeeded": true, "revision": 57, "results": [{"put": {"revision": 57}},
//    {"delete": {"revision": 57, "deleted": 1}}, {"get": {"key", "value", "revision",
//    "createRevision", "version"}} or {"get": null}, {"range": {"items": [...], "more": false}}]}
// Values appear as in ranges and watch events (ValueJson): text, valueBase64, or typed JSON.
// Invariant: written with the canonical minimal escaping (TypedValueJson.WriterOptions).
using System.Text;
using System.Text.Json;
using KvDb.Contracts;
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
        var response = new TxnResponseJson { Succeeded = reply.Succeeded, Revision = revision, Results = [.. reply.Results.Select(Result)] };
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, TypedValueJson.WriterOptions))
            ContractJson.Write(json, response, KvDbJsonContext.Default.TxnResponseJson);
        return buffer.ToArray();
    }

    private static TxnResultJson Result(TxnOperationResult result) => result.Kind switch
    {
        TxnOperationKind.Put => TxnResultJson.OfPut(result.Revision),
        TxnOperationKind.Delete or TxnOperationKind.DeleteRange => TxnResultJson.OfDelete(result.Revision, result.Deleted),
        TxnOperationKind.Get => TxnResultJson.OfGet(result.Item is { } item ? Item(item) : null),
        _ => TxnResultJson.OfRange([.. (result.Items ?? []).Select(Item)], result.More),
    };

    private static TxnItemJson Item(TxnItem item)
    {
        var value = ValueJson.Fields(item.Value, item.Kind);
        return new TxnItemJson
        {
            Key = Encoding.UTF8.GetString(item.Key),
            Value = value.Text,
            ValueBase64 = value.Base64,
            Typed = value.Typed,
            Revision = item.Revision,
            CreateRevision = item.CreateRevision,
            Version = item.Version,
        };
    }
}
