// A transaction being built, then committed: comparisons (all must hold), the operations to run
// when they do, and those to run when they do not, applied as one log entry at one revision.
//   await kv.Transaction()
//       .If(Compare.Revision("acct/a") == 41).If(Compare.Exists("acct/b"))
//       .Then(Op.Put("acct/a", "70"), Op.Put("acct/b", "30"))
//       .Else(Op.Get("acct/a"))
//       .CommitAsync();
// Invariants:
//  - If, Then and Else add to the builder and return it; the builder is not thread-safe.
//  - Each CommitAsync is one logical commit: one Idempotency-Key (a new GUID, or the one given to
//    WithIdempotencyKey) on every try, so a commit the client retries is applied at most once,
//    and a retry answers the first outcome.
using KvDb.Contracts;

namespace KvDb.Client;

/// <summary>A transaction under construction; see <see cref="KvClient.Transaction"/>.</summary>
public sealed class KvTransaction
{
    private readonly KvClient client;
    private readonly List<TxnComparison> comparisons = [];
    private readonly List<TxnOp> then = [];
    private readonly List<TxnOp> otherwise = [];

    internal KvTransaction(KvClient client) => this.client = client;

    /// <summary>The conditions so far.</summary>
    public IReadOnlyList<TxnComparison> Comparisons => comparisons;

    /// <summary>The operations to run when every condition holds.</summary>
    public IReadOnlyList<TxnOp> ThenOps => then;

    /// <summary>The operations to run when a condition does not hold.</summary>
    public IReadOnlyList<TxnOp> ElseOps => otherwise;

    /// <summary>The idempotency key of the next commit; null for a new one per commit.</summary>
    public string? IdempotencyKey { get; private set; }

    /// <summary>Adds conditions: the <c>Then</c> branch runs only when all of them hold.</summary>
    public KvTransaction If(params TxnComparison[] conditions)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        foreach (var condition in conditions)
            comparisons.Add(condition ?? throw new ArgumentNullException(nameof(conditions), "A condition is null."));
        return this;
    }

    /// <summary>Adds operations to run, in order, when every condition holds.</summary>
    public KvTransaction Then(params TxnOp[] operations)
    {
        Add(then, operations);
        return this;
    }

    /// <summary>Adds operations to run, in order, when a condition does not hold.</summary>
    public KvTransaction Else(params TxnOp[] operations)
    {
        Add(otherwise, operations);
        return this;
    }

    /// <summary>
    /// Sets the <c>Idempotency-Key</c> of the commits that follow (1 to 255 visible ASCII
    /// characters): to retry, with the key of <see cref="KvUnavailableException.IdempotencyKey"/>,
    /// a commit whose outcome is unknown. kvdb remembers keys for 15 minutes.
    /// </summary>
    public KvTransaction WithIdempotencyKey(string idempotencyKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(idempotencyKey);
        IdempotencyKey = idempotencyKey;
        return this;
    }

    /// <summary>Commits the transaction: compares, then runs one branch, all in one log entry.</summary>
    /// <param name="token">Cancels the commit (its outcome is then unknown).</param>
    /// <returns>Which branch ran, the revision, and the results of its operations.</returns>
    /// <exception cref="KvLeaseNotFoundException">A put names a lease that does not exist; nothing was applied.</exception>
    /// <exception cref="KvUnavailableException">No member could take the commit in time; it may or may not have been applied (retry with its <see cref="KvUnavailableException.IdempotencyKey"/>).</exception>
    /// <exception cref="KvException">kvdb refused the transaction (400 names the bad part, e.g. a key written twice in one branch or past <c>--max-txn-ops</c>; 413; 403).</exception>
    public ValueTask<TxnResult> CommitAsync(CancellationToken token = default)
        => client.CommitAsync(this, IdempotencyKey ?? Guid.NewGuid().ToString("N"), token);

    /// <summary>The transaction as the JSON body of <c>POST /v1/txn</c>.</summary>
    public string ToJson() => System.Text.Encoding.UTF8.GetString(ToJsonBytes());

    internal byte[] ToJsonBytes() => ContractJson.ToUtf8Bytes(ToContract(), KvDbJsonContext.Default.TxnRequestJson);

    /// <summary>The transaction as the contract's request (every list present, empty or not).</summary>
    internal TxnRequestJson ToContract() => new()
    {
        If = [.. comparisons.Select(static comparison => comparison.ToContract())],
        Then = [.. then.Select(static operation => operation.ToContract())],
        Else = [.. otherwise.Select(static operation => operation.ToContract())],
    };

    /// <summary>The one lease the puts name, to say which is missing on a 404; 0 when none or several.</summary>
    internal long SoleLease()
    {
        var leases = then.Concat(otherwise).Select(static op => op.Lease).OfType<long>().Distinct().Take(2).ToList();
        return leases is [var only] ? only : 0;
    }

    private static void Add(List<TxnOp> branch, TxnOp[] operations)
    {
        ArgumentNullException.ThrowIfNull(operations);
        foreach (var operation in operations)
            branch.Add(operation ?? throw new ArgumentNullException(nameof(operations), "An operation is null."));
    }
}
