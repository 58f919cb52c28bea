// KvClient's transactions (POST /v1/txn): the builder, the commit and its answer.
// Invariants: a commit is sent with its Idempotency-Key on every try (retried like any write);
// 404 is a missing lease (KvLeaseNotFoundException), any other error answer a KvException.
using System.Net;
using KvDb.Contracts;

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
                return ToTxnResult(await ReadContractAsync(response, KvDbJsonContext.Default.TxnResponseJson, attemptToken).ConfigureAwait(false));
            },
            token);
    }

    private static TxnResult ToTxnResult(TxnResponseJson answer)
        => new(answer.Succeeded, answer.Revision, [.. answer.Results.Select(static result => result switch
        {
            { Kind: "put", Put: { } put } => new TxnPutResult(put.Revision),
            { Kind: "delete", Delete: { } delete } => new TxnDeleteResult(delete.Revision, delete.Deleted),
            { Kind: "get" } => new TxnGetResult(result.Get is { } item ? ToTxnEntry(item) : null),
            { Kind: "range", Range: { } range } => (TxnOpResult)new TxnRangeResult([.. range.Items.Select(ToTxnEntry)], range.More),
            _ => throw new KvException(HttpStatusCode.OK, "Unknown result", $"The transaction answered a result of kind '{result.Kind}' this client does not know."),
        })]);

    private static TxnEntry ToTxnEntry(TxnItemJson item)
        => new(item.Key, WireJson.ValueBytes(item.Value, item.ValueBase64), item.Revision, item.CreateRevision, item.Version);
}
