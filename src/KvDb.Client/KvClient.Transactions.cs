// KvClient's transactions (POST /v1/txn): the builder, the commit and its answer.
// Invariants: a commit is sent with its Idempotency-Key on every try (retried like any write);
// 404 is a missing lease (KvLeaseNotFoundException), any other error answer a KvException.
using System.Net;
using System.Text;
using System.Text.Json;

namespace KvDb.Client;

public sealed partial class KvClient
{
    /// <summary>Starts a transaction: add conditions with <c>If</c>, operations with <c>Then</c> and <c>Else</c>, then <see cref="KvTransaction.CommitAsync"/>.</summary>
    /// <example><code>
    /// TxnResult moved = await kv.Transaction()
    ///     .If(Compare.Revision("acct/a") == 41, Compare.Exists("acct/b"))
    ///     .Then(Op.Put("acct/a", "70"), Op.Put("acct/b", "30"))
    ///     .Else(Op.Get("acct/a"))
    ///     .CommitAsync();
    /// </code></example>
    public KvTransaction Transaction()
    {
        ThrowIfDisposed();
        return new KvTransaction(this);
    }

    internal ValueTask<TxnResult> CommitAsync(KvTransaction transaction, string idempotencyKey, CancellationToken token)
    {
        ThrowIfDisposed();
        var body = transaction.ToJsonBytes();
        return pipeline.SendAsync(
            pipeline.Begin("txn", idempotencyKey),
            baseUri =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUri, "v1/txn")) { Content = JsonContent(body) };
                request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
                return request;
            },
            async (response, attemptToken) =>
            {
                if (response.StatusCode is HttpStatusCode.NotFound)
                {
                    var problem = await ProblemAnswer.ReadAsync(response, attemptToken).ConfigureAwait(false);
                    throw new KvLeaseNotFoundException(transaction.SoleLease(), problem.Title, problem.Detail);
                }

                if (response.StatusCode is not HttpStatusCode.OK)
                    throw (await ProblemAnswer.ReadAsync(response, attemptToken).ConfigureAwait(false)).ToException(null);
                using var document = await ReadDocumentAsync(response, attemptToken).ConfigureAwait(false);
                return ParseTxnResult(document.RootElement);
            },
            token);
    }

    private static TxnResult ParseTxnResult(JsonElement root)
    {
        var results = new List<TxnOpResult>();
        foreach (var result in root.GetProperty("results").EnumerateArray())
        {
            var property = result.EnumerateObject().First();
            var body = property.Value;
            results.Add(property.Name switch
            {
                "put" => new TxnPutResult(body.GetProperty("revision").GetInt64()),
                "delete" => new TxnDeleteResult(body.GetProperty("revision").GetInt64(), body.GetProperty("deleted").GetInt64()),
                "get" => new TxnGetResult(body.ValueKind is JsonValueKind.Object ? ParseTxnEntry(body) : null),
                "range" => new TxnRangeResult([.. body.GetProperty("items").EnumerateArray().Select(ParseTxnEntry)], body.TryGetProperty("more", out var more) && more.ValueKind is JsonValueKind.True),
                var other => throw new KvException(HttpStatusCode.OK, "Unknown result", $"The transaction answered a result of kind '{other}' this client does not know."),
            });
        }

        return new TxnResult(root.GetProperty("succeeded").GetBoolean(), root.GetProperty("revision").GetInt64(), results);
    }

    private static TxnEntry ParseTxnEntry(JsonElement item)
    {
        var value = item.TryGetProperty("value", out var text) && text.ValueKind is JsonValueKind.String
            ? Encoding.UTF8.GetBytes(text.GetString()!)
            : item.TryGetProperty("valueBase64", out var encoded) && encoded.ValueKind is JsonValueKind.String ? encoded.GetBytesFromBase64() : [];
        return new TxnEntry(
            item.GetProperty("key").GetString() ?? "",
            value,
            item.GetProperty("revision").GetInt64(),
            item.TryGetProperty("createRevision", out var created) ? created.GetInt64() : 0,
            item.TryGetProperty("version", out var version) ? version.GetInt64() : 0);
    }
}
