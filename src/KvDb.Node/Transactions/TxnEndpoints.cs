// POST /v1/txn: compare, then write many keys at one revision (etcd's Txn, Consul's /v1/txn).
// Invariants:
//  - The transaction is one command in one log entry: its writes share one revision, its gets
//    and ranges read the state at its point in the log, and watchers receive its changes together.
//  - Works from any member and answers only once the entry is applied here, like single writes;
//    Idempotency-Key makes a retry exactly-once and answers the first reply (Idempotent-Replayed).
//  - With auth on, every key and range it touches is checked before anything is proposed: read
//    for comparisons (of every key of a compared range: a count or revision over keys the caller
//    may not read would tell what they hold), gets and ranges; write for puts; write and read
//    for deletes, whose answer counts the keys they removed (all or nothing, 403). A put naming a lease needs the lease to
//    be the caller's (or the caller root): another user's lease is 404, as one that does not exist.
//  - Bad input is 400 and an oversized transaction 413, as problem details naming the limit.
using KvDb.Contracts;
using KvDb.Core.Auth;
using KvDb.Core.Commands;
using KvDb.Core.Transactions;
using KvDb.Node.Auth;
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using KvDb.Node.Leases;
using KvDb.Node.Observability;
using KvDb.Node.OpenApi;
using Microsoft.Extensions.Options;

namespace KvDb.Node.Transactions;

/// <summary>Maps <c>/v1/txn</c>.</summary>
public static class TxnEndpoints
{
    // Room for keys, comparisons and JSON around the values of a transaction.
    private const int Overhead = 64 * 1024;

    /// <summary>Maps the transaction endpoint.</summary>
    public static void MapTxnEndpoints(this IEndpointRouteBuilder app)
        => app.MapPost("/v1/txn", TransactAsync).Allow(AccessRule.Keys)
            .WithTags("transactions").WithName("transact")
            .WithSummary("Compare, then write many keys at one revision: {\"if\": [comparisons], \"then\": [operations], \"else\": [operations]}.")
            .DescribeBody(typeof(System.Text.Json.JsonElement), "application/json")
            .Produces<System.Text.Json.JsonElement>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status507InsufficientStorage);

    private static async Task<IResult> TransactAsync(HttpContext context, KvService kv, IOptions<ValueLimits> limits, IOptions<TxnOptions> transactions)
    {
        var (conditions, conditionError) = WriteConditions.FromRequest(context.Request, CallerAccess.NameOf(context));
        if (conditions is null)
            return Problems.BadRequest(conditionError!);
        if (conditions.Condition is not null)
            return Problems.BadRequest("A transaction states its conditions in \"if\", not in If-Match or If-None-Match.");

        // Values travel as JSON text or base64: allow for that on top of the entry's own limit.
        var limit = limits.Value.MaxValueBytes + Overhead;
        var body = await RequestBody.ReadAsync(context, 2 * limit);
        if (body is null)
            return TooLarge(limits);

        var (txn, error) = TxnRequest.Parse(body, transactions.Value.MaxOps, limits.Value.MaxValueBytes, conditions.IdempotencyKey);
        if (txn is null)
            return Problems.BadRequest(error!);
        if (txn.Command.ApproximateSize > limit)
            return TooLarge(limits);
        if (Denied(context, txn) is { } denied)
            return denied;
        if (!await MayUseLeasesAsync(context, txn))
            return ValueResults.LeaseNotFound();

        var result = await kv.WriteAsync(txn.Command, context.RequestAborted);
        if (result.Replayed)
            context.Response.Headers[ValueResults.ReplayedHeader] = "true";
        if (result.Outcome is CommandOutcome.IdempotencyKeyReused || result.Reply is null)
            return ValueResults.Written(context, "", result);

        var reply = TxnReply.Decode(result.Reply);
        TxnInstruments.Transactions.Add(1, new KeyValuePair<string, object?>("outcome", reply.Succeeded ? "succeeded" : "failed"));
        return Results.Bytes(TxnResponse.Encode(reply, result.Revision), "application/json");
    }

    private static IResult TooLarge(IOptions<ValueLimits> limits)
        => Problems.Of(StatusCodes.Status413PayloadTooLarge, ProblemTitles.TransactionTooLarge,
            $"A transaction's keys and values may take {limits.Value.MaxValueBytes} bytes (--max-value-bytes) plus {Overhead / 1024} KiB.");

    private static IResult? Denied(HttpContext context, ParsedTxn txn)
    {
        foreach (var comparison in txn.Comparisons)
        {
            var denied = comparison.IsRange
                ? KeyAccess.DeniedRange(context, comparison.Key, comparison.End)
                : KeyAccess.Denied(context, Access.Read, comparison.Key);
            if (denied is not null)
                return denied;
        }

        foreach (var operation in txn.Then.Concat(txn.Else))
        {
            var denied = operation.Kind switch
            {
                TxnOperationKind.Get => KeyAccess.Denied(context, Access.Read, operation.Key),
                TxnOperationKind.Range => KeyAccess.DeniedRange(context, operation.Key, operation.End),
                TxnOperationKind.DeleteRange => KeyAccess.DeniedRangeWrite(context, operation.Key, operation.End) ?? KeyAccess.DeniedRange(context, operation.Key, operation.End),
                TxnOperationKind.Delete => KeyAccess.Denied(context, Access.Write, operation.Key) ?? KeyAccess.Denied(context, Access.Read, operation.Key),
                _ => KeyAccess.Denied(context, Access.Write, operation.Key),
            };
            if (denied is not null)
                return denied;
        }

        return null;
    }

    private static async ValueTask<bool> MayUseLeasesAsync(HttpContext context, ParsedTxn txn)
    {
        LeaseOwnership? ownership = null;
        foreach (var lease in txn.Then.Concat(txn.Else).Where(static o => o is { Kind: TxnOperationKind.Put, Lease: not 0 }).Select(static o => o.Lease).Distinct())
        {
            ownership ??= context.RequestServices.GetRequiredService<LeaseOwnership>();
            if (!await ownership.MayUseAsync(LeaseCaller.Of(context), lease, context.RequestAborted))
                return false;
        }

        return true;
    }
}
