// Asks the leader's lease clock (LeaseKeeper) for a lease's time, from any member: locally on
// the leader, else over the leader's peer port. Wire format (internal): POST
// /internal/v1/leases/{id}/keepalive or GET /internal/v1/leases/{id} → 200 {"ttlMs","remainingMs"} (LeaseClockJson),
// 404 for an unknown lease, 503 when the member asked does not lead.
using System.Net;
using System.Text.Json;
using KvDb.Contracts;
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using KvDb.Node.Raft;
using Microsoft.Extensions.Options;

namespace KvDb.Node.Leases;

/// <summary>Reaches the leader's lease clock.</summary>
public sealed class LeaseForwarder(IConsensus consensus, LeaseKeeper keeper, PeerClient peers, IOptions<LeaseOptions> options)
{
    /// <summary>The peer path of a lease's clock.</summary>
    public const string PathPrefix = "/internal/v1/leases/";

    /// <summary>Restarts the lease's TTL (<paramref name="renew"/>) or reads what is left; null for an unknown lease.</summary>
    /// <exception cref="UnavailableException">No leader answered in time.</exception>
    public async Task<LeaseTime?> AskAsync(long id, bool renew, CancellationToken token)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(options.Value.RequestTimeout);
        try
        {
            return await AskUntilAnsweredAsync(id, renew, timeout).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            throw new UnavailableException("No leader answered within --request-timeout; retry.");
        }
    }

    private async Task<LeaseTime?> AskUntilAnsweredAsync(long id, bool renew, CancellationTokenSource timeout)
    {
        while (true)
        {
            var leader = consensus.Leader ?? await consensus.WaitForLeaderAsync(timeout.Token).ConfigureAwait(false);
            try
            {
                if (leader.IsThisMember)
                    return renew ? keeper.KeepAlive(id) : keeper.Remaining(id);
                return await AskLeaderAsync(leader.PeerUri, id, renew, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is UnavailableException or HttpRequestException && !timeout.IsCancellationRequested)
            {
                // Leadership moved: ask again once a leader is known.
                await Task.Delay(50, timeout.Token).ConfigureAwait(false);
            }
        }
    }

    private async Task<LeaseTime?> AskLeaderAsync(Uri leader, long id, bool renew, CancellationToken token)
    {
        var uri = new Uri(leader, PathPrefix + id.ToString(System.Globalization.CultureInfo.InvariantCulture) + (renew ? "/keepalive" : ""));
        using var response = renew
            ? await peers.Http.PostAsync(uri, null, token).ConfigureAwait(false)
            : await peers.Http.GetAsync(uri, token).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.NotFound)
            return null;
        if (response.StatusCode is HttpStatusCode.ServiceUnavailable)
            throw new UnavailableException("The leader is changing; retry.");
        response.EnsureSuccessStatusCode();
        var clock = ContractJson.Read(await response.Content.ReadAsByteArrayAsync(token).ConfigureAwait(false), KvDbJsonContext.Default.LeaseClockJson);
        return new LeaseTime(clock.TtlMs, clock.RemainingMs);
    }

    /// <summary>Maps the peer endpoints the leader answers lease clock questions at.</summary>
    public static void MapPeerEndpoints(IEndpointRouteBuilder app)
    {
        app.MapPost(PathPrefix + "{id:long}/keepalive", (long id, LeaseKeeper keeper) => Answer(() => keeper.KeepAlive(id))).PeerOnly().Allow(AccessRule.Peer);
        app.MapGet(PathPrefix + "{id:long}", (long id, LeaseKeeper keeper) => Answer(() => keeper.Remaining(id))).PeerOnly().Allow(AccessRule.Peer);
    }

    private static IResult Answer(Func<LeaseTime?> ask)
    {
        try
        {
            return ask() is { } time
                ? Results.Json(new LeaseClockJson { TtlMs = time.TtlMs, RemainingMs = time.RemainingMs }, KvDbJsonContext.Default.LeaseClockJson)
                : Results.NotFound();
        }
        catch (UnavailableException e)
        {
            return Problems.Of(StatusCodes.Status503ServiceUnavailable, "Not the leader", e.Message);
        }
    }
}
