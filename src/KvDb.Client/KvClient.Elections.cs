// KvClient's leader elections (/v1/elections): campaign (a KvLeadership handle that keeps its
// lease alive), proclaim, read the leader, and observe leader changes as a stream that
// reconnects to another member when it breaks.
// Invariants:
//  - Campaigning works like acquiring a lock (KvClient.Queues.cs): the client's own lease, rounds
//    of at most 5 minutes, the lease revoked on failure or cancellation.
//  - ObserveAsync yields the leader at once, then each change of leader or of its value, never
//    the same leader twice in a row (a reconnect's first line repeats the current leader and is
//    skipped when unchanged); null while there is none.
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using KvDb.Contracts;

namespace KvDb.Client;

public sealed partial class KvClient
{
    /// <summary>Campaigns in election <paramref name="name"/> with <paramref name="value"/>, and waits until elected.</summary>
    /// <param name="name">The election's name: 1 to 256 characters without '/'. Its keys live under <c>_elections/{name}/</c>.</param>
    /// <param name="value">What this candidate announces as leader (e.g. its address).</param>
    /// <param name="ttl">The TTL of the candidacy's lease (1 s to 7 days): if this process dies, leadership ends that long after the last keep-alive.</param>
    /// <param name="token">Cancels the campaign (the candidacy is withdrawn).</param>
    /// <returns>The leadership; dispose it to resign.</returns>
    /// <remarks>Candidates are elected in the order they campaigned: this waits until every earlier candidate has resigned or lost its lease.</remarks>
    /// <exception cref="KvLeaseNotFoundException">The candidacy's lease was lost while waiting.</exception>
    /// <exception cref="KvUnavailableException">No member could take the request in time.</exception>
    /// <exception cref="KvException">kvdb refused the request (e.g. 403 without write access to <c>_elections/{name}/</c>).</exception>
    public async ValueTask<KvLeadership> CampaignAsync(string name, string value, TimeSpan ttl, CancellationToken token = default)
    {
        ValidateQueueName(name, nameof(name));
        ArgumentNullException.ThrowIfNull(value);
        LeaseTtl.Validate(ttl, nameof(ttl));
        ThrowIfDisposed();

        var lease = await GrantLeaseAsync(ttl, null, token).ConfigureAwait(false);
        try
        {
            var path = ElectionPath(name, "/campaign?timeout=");
            var body = ContractJson.ToUtf8Bytes(new CampaignRequestJson { Value = value, Lease = lease.Id }, KvDbJsonContext.Default.CampaignRequestJson);
            var elected = await WaitInQueueAsync("campaign", (baseUri, waitText) => new HttpRequestMessage(HttpMethod.Post, new Uri(baseUri, path + waitText)) { Content = JsonContent(body) }, KvDbJsonContext.Default.ElectedJson, lease, null, token).ConfigureAwait(false);
            var owned = new OwnedKey(this, lease, elected!.Key, elected.Revision, logger);
            return new KvLeadership(this, name, value, owned);
        }
        catch
        {
            await lease.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The leader of election <paramref name="name"/>, or null when there is none.</summary>
    /// <param name="name">The election's name.</param>
    /// <param name="token">Cancels the read.</param>
    /// <exception cref="KvUnavailableException">No member answered in time.</exception>
    /// <exception cref="KvException">kvdb refused the request.</exception>
    public ValueTask<KvElectionLeader?> GetLeaderAsync(string name, CancellationToken token = default)
    {
        ValidateQueueName(name, nameof(name));
        ThrowIfDisposed();
        var path = ElectionPath(name, "");
        return GetContractOrNullAsync("leader", path, KvDbJsonContext.Default.ElectionLeaderJson, static leader => new KvElectionLeader(leader.Key, leader.Value, leader.Revision, leader.Lease), token);
    }

    /// <summary>
    /// The leader of election <paramref name="name"/> now, then each time the leader or its value
    /// changes, until the enumeration is stopped; null while there is no leader.
    /// </summary>
    /// <param name="name">The election's name.</param>
    /// <param name="token">Stops the observation.</param>
    /// <remarks>
    /// When the stream breaks (the member stops or the connection drops) it reconnects by itself,
    /// to another member when it can, and goes on without repeating the leader it last yielded.
    /// A leader that changed and changed back while it was reconnecting is not reported.
    /// </remarks>
    /// <exception cref="KvUnavailableException">No member could be reached within <see cref="KvClientOptions.OperationTimeout"/>.</exception>
    /// <exception cref="KvException">kvdb refused the request (e.g. 403), or ended the observation because the caller lost access (401, 403).</exception>
    public IAsyncEnumerable<KvElectionLeader?> ObserveAsync(string name, CancellationToken token = default)
    {
        ValidateQueueName(name, nameof(name));
        ThrowIfDisposed();
        return ObserveStreamAsync(name, token);
    }

    private async IAsyncEnumerable<KvElectionLeader?> ObserveStreamAsync(string name, [EnumeratorCancellation] CancellationToken token)
    {
        // The member sends a progress line every ObserveProgress between changes: silence for three
        // of them means the member or the path to it is gone, so the stream moves on.
        var path = ElectionPath(name, "/observe?progress=" + ((long)ObserveProgress.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms");
        var first = true;
        KvElectionLeader? last = null;
        var lines = FollowLinesAsync(
            "election observation",
            name,
            baseUri => new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, path)),
            ObserveProgress * 3 + requestTimeout,
            static () => "the current leader",
            null,
            token);
        await foreach (var text in lines.ConfigureAwait(false))
        {
            var line = ContractJson.Read(text.Span, KvDbJsonContext.Default.ElectionObservationJson);
            if (line.Type is not null)
                continue;
            var leader = line.Key is { } key ? new KvElectionLeader(key, line.Value ?? "", line.Revision ?? 0, line.Lease ?? 0) : null;
            if (first || leader != last)
            {
                first = false;
                last = leader;
                yield return leader;
            }
        }
    }

    /// <summary>Proclaims <paramref name="value"/> as the leader's value (see <see cref="KvLeadership.ProclaimAsync"/>).</summary>
    internal ValueTask<long> ProclaimAsync(string name, string key, long revision, string value, CancellationToken token)
    {
        ThrowIfDisposed();
        var path = ElectionPath(name, "/proclaim");
        var body = ContractJson.ToUtf8Bytes(new ProclaimRequestJson { Key = key, Revision = revision, Value = value }, KvDbJsonContext.Default.ProclaimRequestJson);
        return pipeline.SendAsync(
            pipeline.Begin("proclaim"),
            baseUri => new HttpRequestMessage(HttpMethod.Put, new Uri(baseUri, path)) { Content = JsonContent(body) },
            async (response, attemptToken) =>
            {
                if (response.StatusCode is HttpStatusCode.Conflict)
                {
                    var problem = await ProblemAnswer.ReadAsync(response, attemptToken).ConfigureAwait(false);
                    throw new KvNotLeaderException(name, key, problem.Title, problem.Detail);
                }

                if (response.StatusCode is not HttpStatusCode.OK)
                    throw (await ProblemAnswer.ReadAsync(response, attemptToken).ConfigureAwait(false)).ToException(null);
                return (await ReadContractAsync(response, KvDbJsonContext.Default.ProclaimedJson, attemptToken).ConfigureAwait(false)).ModRevision;
            },
            token);
    }

    private static readonly TimeSpan ObserveProgress = TimeSpan.FromSeconds(10);

    private static string ElectionPath(string name, string rest) => "v1/elections/" + Uri.EscapeDataString(name) + rest;
}
