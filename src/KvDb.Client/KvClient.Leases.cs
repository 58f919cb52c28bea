// KvClient's leases (/v1/leases): grant (a KvLease handle that keeps itself alive), keep alive,
// describe, list and revoke by id.
// Invariants:
//  - A grant always carries an Idempotency-Key (kvdb derives the lease id from it), so a grant
//    the client retries names one lease, never two.
//  - Keep-alives go through any member (each asks the leader's clock) with failover; 404 is
//    KvLeaseNotFoundException, never a retry.
//  - A revocation retried after a lost answer may find the lease gone: it answers false then.
using System.Globalization;
using System.Net;
using System.Text.Json.Serialization.Metadata;
using KvDb.Contracts;

namespace KvDb.Client;

public sealed partial class KvClient
{
    /// <summary>Grants a lease of <paramref name="ttl"/> and, unless told not to, keeps it alive until the handle is disposed.</summary>
    /// <param name="ttl">The time to live, 1 s to 7 days: the lease expires that long after its last keep-alive.</param>
    /// <param name="options">Whether to keep it alive automatically, and the grant's idempotency key; null for the defaults.</param>
    /// <param name="token">Cancels the grant (its outcome is then unknown: an unused lease expires after its TTL).</param>
    /// <returns>The lease; dispose it to revoke it.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ttl"/> is out of range.</exception>
    /// <exception cref="KvUnavailableException">No member could take the grant in time.</exception>
    /// <exception cref="KvException">kvdb refused the grant (e.g. 429 past <c>--max-leases</c>).</exception>
    public async ValueTask<KvLease> GrantLeaseAsync(TimeSpan ttl, KvLeaseOptions? options = null, CancellationToken token = default)
    {
        var ttlText = LeaseTtl.Format(ttl, nameof(ttl));
        ThrowIfDisposed();
        options ??= new KvLeaseOptions();
        var idempotencyKey = options.IdempotencyKey ?? Guid.NewGuid().ToString("N");
        var body = ContractJson.ToUtf8Bytes(new LeaseGrantRequestJson { Ttl = ttlText }, KvDbJsonContext.Default.LeaseGrantRequestJson);
        var asked = System.Diagnostics.Stopwatch.GetTimestamp();
        var id = await pipeline.SendAsync(
            pipeline.Begin("lease-grant", idempotencyKey),
            baseUri =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUri, "v1/leases")) { Content = JsonContent(body) };
                request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
                return request;
            },
            async (response, attemptToken) =>
            {
                if (response.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.OK))
                    throw (await ProblemAnswer.ReadAsync(response, attemptToken).ConfigureAwait(false)).ToException(null);
                return (await ReadContractAsync(response, KvDbJsonContext.Default.LeaseGrantedJson, attemptToken).ConfigureAwait(false)).Id;
            },
            token).ConfigureAwait(false);
        return new KvLease(this, id, ttl, options.KeepAlive, asked, logger);
    }

    /// <summary>Restarts the TTL of lease <paramref name="leaseId"/>.</summary>
    /// <param name="leaseId">The lease's id.</param>
    /// <param name="token">Cancels the keep-alive.</param>
    /// <returns>The time the lease has left, by the leader's clock (its whole TTL).</returns>
    /// <exception cref="KvLeaseNotFoundException">The lease does not exist (revoked or expired), or with auth on is another user's.</exception>
    /// <exception cref="KvUnavailableException">No member could reach the leader in time.</exception>
    /// <exception cref="KvException">kvdb refused the keep-alive.</exception>
    public ValueTask<TimeSpan> KeepAliveLeaseAsync(long leaseId, CancellationToken token = default)
        => KeepAliveLeaseAsync(leaseId, null, token);

    /// <summary>As <see cref="KeepAliveLeaseAsync(long, CancellationToken)"/>, trying for at most <paramref name="within"/> (the TTL left, for the automatic keep-alive).</summary>
    internal ValueTask<TimeSpan> KeepAliveLeaseAsync(long leaseId, TimeSpan? within, CancellationToken token)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(leaseId);
        ThrowIfDisposed();
        var path = "v1/leases/" + leaseId.ToString(CultureInfo.InvariantCulture) + "/keepalive";
        return pipeline.SendAsync(
            within is { } limit ? pipeline.Begin("lease-keepalive", null, limit, failFast: false) : pipeline.Begin("lease-keepalive"),
            baseUri => new HttpRequestMessage(HttpMethod.Post, new Uri(baseUri, path)),
            async (response, attemptToken) =>
            {
                if (response.StatusCode is not HttpStatusCode.OK)
                    throw await LeaseProblemAsync(response, leaseId, attemptToken).ConfigureAwait(false);
                return TimeSpan.FromSeconds((await ReadContractAsync(response, KvDbJsonContext.Default.LeaseTimeJson, attemptToken).ConfigureAwait(false)).RemainingSeconds);
            },
            token,
            within is { } bound && bound < pipeline.RequestTimeout ? bound : null);
    }

    /// <summary>Describes lease <paramref name="leaseId"/>: its TTL, the time it has left and its keys.</summary>
    /// <param name="leaseId">The lease's id.</param>
    /// <param name="consistency">How fresh the list of keys must be.</param>
    /// <param name="token">Cancels the read.</param>
    /// <returns>The lease, or null when it does not exist (or, with auth on, is another user's).</returns>
    /// <exception cref="KvUnavailableException">No member answered in time.</exception>
    /// <exception cref="KvException">kvdb refused the request.</exception>
    public ValueTask<KvLeaseInfo?> GetLeaseAsync(long leaseId, ReadConsistency consistency = ReadConsistency.Linearizable, CancellationToken token = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(leaseId);
        ThrowIfDisposed();
        var query = ConsistencyQuery(consistency);
        var path = "v1/leases/" + leaseId.ToString(CultureInfo.InvariantCulture) + (query is null ? "" : "?" + query);
        return GetContractOrNullAsync("lease-get", path, KvDbJsonContext.Default.LeaseInfoJson, lease => new KvLeaseInfo
        {
            Id = leaseId,
            Ttl = TimeSpan.FromSeconds(lease.TtlSeconds),
            Remaining = lease.RemainingSeconds is { } left ? TimeSpan.FromSeconds(left) : null,
            Keys = lease.Keys,
            Owner = lease.Owner,
        }, token);
    }

    /// <summary>
    /// Every live lease (with auth on, the caller's own; root's: all), by id
    /// (<see cref="KvLeaseInfo.Remaining"/> and <see cref="KvLeaseInfo.Keys"/> are not filled in: ask <see cref="GetLeaseAsync"/>).
    /// </summary>
    /// <param name="token">Cancels the read.</param>
    /// <exception cref="KvUnavailableException">No member answered in time.</exception>
    /// <exception cref="KvException">kvdb refused the request.</exception>
    public ValueTask<IReadOnlyList<KvLeaseInfo>> ListLeasesAsync(CancellationToken token = default)
    {
        ThrowIfDisposed();
        return pipeline.SendAsync(
            pipeline.Begin("lease-list"),
            baseUri => new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, "v1/leases")),
            async (response, attemptToken) =>
            {
                if (response.StatusCode is not HttpStatusCode.OK)
                    throw (await ProblemAnswer.ReadAsync(response, attemptToken).ConfigureAwait(false)).ToException(null);
                var list = await ReadContractAsync(response, KvDbJsonContext.Default.LeaseListJson, attemptToken).ConfigureAwait(false);
                return (IReadOnlyList<KvLeaseInfo>)[.. list.Leases.Select(static lease => new KvLeaseInfo { Id = lease.Id, Ttl = TimeSpan.FromSeconds(lease.TtlSeconds), Owner = lease.Owner })];
            },
            token);
    }

    /// <summary>Revokes lease <paramref name="leaseId"/>: kvdb deletes every key attached to it, in one log entry.</summary>
    /// <param name="leaseId">The lease's id.</param>
    /// <param name="token">Cancels the revocation (its outcome is then unknown).</param>
    /// <returns>True when it was revoked; false when it did not exist, is another user's (auth on), or a retry found it revoked already.</returns>
    /// <exception cref="KvUnavailableException">No member could take the revocation in time.</exception>
    /// <exception cref="KvException">kvdb refused it (e.g. 403: revoking needs write access to every attached key).</exception>
    public ValueTask<bool> RevokeLeaseAsync(long leaseId, CancellationToken token = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(leaseId);
        ThrowIfDisposed();
        var path = "v1/leases/" + leaseId.ToString(CultureInfo.InvariantCulture);
        return pipeline.SendAsync(
            pipeline.Begin("lease-revoke"),
            baseUri => new HttpRequestMessage(HttpMethod.Delete, new Uri(baseUri, path)),
            async (response, attemptToken) => response.StatusCode switch
            {
                HttpStatusCode.NoContent or HttpStatusCode.OK => true,
                HttpStatusCode.NotFound => false,
                _ => throw (await ProblemAnswer.ReadAsync(response, attemptToken).ConfigureAwait(false)).ToException(null),
            },
            token);
    }

    private static async ValueTask<KvException> LeaseProblemAsync(HttpResponseMessage response, long leaseId, CancellationToken token)
    {
        var problem = await ProblemAnswer.ReadAsync(response, token).ConfigureAwait(false);
        return response.StatusCode is HttpStatusCode.NotFound ? new KvLeaseNotFoundException(leaseId, problem.Title, problem.Detail) : problem.ToException(null);
    }

    // GET of a JSON resource that may not exist: null for 404, the contract's record made into T for 200, an exception otherwise.
    private ValueTask<T?> GetContractOrNullAsync<TJson, T>(string operation, string path, JsonTypeInfo<TJson> type, Func<TJson, T> convert, CancellationToken token)
        where TJson : class
        where T : class
        => pipeline.SendAsync(
            pipeline.Begin(operation),
            baseUri => new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, path)),
            async (response, attemptToken) =>
            {
                if (response.StatusCode is HttpStatusCode.NotFound)
                    return null;
                if (response.StatusCode is not HttpStatusCode.OK)
                    throw (await ProblemAnswer.ReadAsync(response, attemptToken).ConfigureAwait(false)).ToException(null);
                return (T?)convert(await ReadContractAsync(response, type, attemptToken).ConfigureAwait(false));
            },
            token);

    private static ByteArrayContent JsonContent(byte[] body)
        => new(body) { Headers = { ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") } };
}
