// /v1/leases: grant, keep alive, inspect, list and revoke leases. A lease's keys are deleted
// when it is revoked or expires (see LeaseKeeper), in one log entry.
// Invariants:
//  - Grants and revocations go through Raft like writes (any member; Idempotency-Key works for
//    grants: the lease id is derived from the key, so a retry names the same lease).
//  - Keep-alives and remaining times come from the leader's clock, through whichever member.
//  - Auth: a lease belongs to the user who granted it (LeaseOwnership). Any user may grant; only
//    the owner or root lists, describes, keeps alive or revokes it, and to anyone else it answers
//    404 as a lease that does not exist. A description names only the attached keys the caller
//    may read. Revoking deletes the lease's keys, so it also needs write access to every one.
//  - TTLs from 1 s to 7 days (400 otherwise); beyond --max-leases live leases a grant is 429.
using System.Globalization;
using System.IO.Hashing;
using System.Text;
using KvDb.Contracts;
using KvDb.Core.Auth;
using KvDb.Core.Commands;
using KvDb.Core.Leases;
using KvDb.Core.State;
using KvDb.Node.Auth;
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using KvDb.Node.Observability;
using KvDb.Node.OpenApi;
using KvDb.Node.Raft;

namespace KvDb.Node.Leases;

/// <summary>Maps <c>/v1/leases</c>.</summary>
public static class LeaseEndpoints
{
    /// <summary>The shortest TTL a lease may have.</summary>
    public static readonly TimeSpan MinTtl = TimeSpan.FromSeconds(1);

    /// <summary>The longest TTL a lease may have.</summary>
    public static readonly TimeSpan MaxTtl = TimeSpan.FromDays(7);

    /// <summary>Maps the lease endpoints (and the leader's peer endpoints for lease clocks).</summary>
    public static void MapLeaseEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/leases", GrantAsync).Allow(AccessRule.AnyUser)
            .WithTags("leases").WithName("grantLease").WithSummary("Grant a lease: {\"ttl\": \"10s\"} (1 s to 7 days); Idempotency-Key makes a retry name the same lease.")
            .DescribeBody(typeof(System.Text.Json.JsonElement), "application/json")
            .Produces<System.Text.Json.JsonElement>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status507InsufficientStorage);
        app.MapGet("/v1/leases", ListAsync).Allow(AccessRule.AnyUser)
            .WithTags("leases").WithName("listLeases").WithSummary("The caller's live leases (root: every lease) with their TTLs.")
            .Produces<System.Text.Json.JsonElement>(StatusCodes.Status200OK)
            .WithQuery("consistency", KvService.ConsistencyDescription)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapGet("/v1/leases/{id}", DescribeAsync).Allow(AccessRule.AnyUser)
            .WithTags("leases").WithName("getLease").WithSummary("A lease's TTL, remaining time (the leader's clock) and the attached keys the caller may read; 404 for another user's lease.")
            .Produces<System.Text.Json.JsonElement>(StatusCodes.Status200OK)
            .WithQuery("consistency", KvService.ConsistencyDescription)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapPost("/v1/leases/{id}/keepalive", KeepAliveAsync).Allow(AccessRule.AnyUser)
            .WithTags("leases").WithName("keepLeaseAlive").WithSummary("Restart a lease's TTL (the owner's or root's); 404 for another user's lease.")
            .Produces<System.Text.Json.JsonElement>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapDelete("/v1/leases/{id}", RevokeAsync).Allow(AccessRule.AnyUser)
            .WithTags("leases").WithName("revokeLease").WithSummary("Revoke a lease and delete its keys (the owner or root, with write access to each key); 404 for another user's lease.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status507InsufficientStorage);
        LeaseForwarder.MapPeerEndpoints(app);
    }

    /// <summary>Parses a TTL ("10s", "1m", or a number of seconds); an error message otherwise.</summary>
    public static (TimeSpan? Ttl, string? Error) ParseTtl(string? text)
    {
        if (string.IsNullOrEmpty(text) || !KvDb.Flags.Duration.TryParse(text, out var ttl))
            return (null, "ttl must be a duration like 10s, 1m or 2h.");
        if (ttl < MinTtl || ttl > MaxTtl)
            return (null, $"ttl must be from {MinTtl.TotalSeconds:0} s to {MaxTtl.TotalDays:0} days.");
        return (ttl, null);
    }

    /// <summary>A new lease id: derived from <paramref name="idempotencyKey"/> when there is one (so retries name the same lease), else random; positive and below 2^53.</summary>
    public static long NewId(string? idempotencyKey)
        => idempotencyKey is null
            ? Random.Shared.NextInt64(1, 1L << 53)
            : (long)(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(idempotencyKey)) % ((1UL << 53) - 1)) + 1;

    /// <summary>The id in a route value, or null.</summary>
    public static long? ParseId(string? text)
        => long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0 ? id : null;

    private static async Task<IResult> GrantAsync(HttpContext context, KvService kv, LocalState state, LeaseAdmission admission)
    {
        var (conditions, conditionError) = WriteConditions.FromRequest(context.Request, CallerAccess.NameOf(context));
        if (conditions is null)
            return Problems.BadRequest(conditionError!);
        var body = await RequestBody.ReadAsync(context, 4096);
        if (body is null)
            return Problems.Of(StatusCodes.Status413PayloadTooLarge, "Body too large", "A lease grant is a small JSON object like {\"ttl\": \"10s\"}.");

        string? ttlText;
        try
        {
            ttlText = body.Length == 0 ? null : ContractJson.Read(body, KvDbJsonContext.Default.LeaseGrantRequestJson).Ttl;
        }
        catch (ContractFormatException e) when (e.NotJson)
        {
            return Problems.BadRequest("The body must be JSON like {\"ttl\": \"10s\"}.");
        }
        catch (ContractFormatException)
        {
            // Not an object, or a ttl that is neither text nor a number: said by ParseTtl below.
            ttlText = null;
        }

        var (parsed, error) = ParseTtl(ttlText);
        if (parsed is not { } lifetime)
            return Problems.BadRequest(error!);
        if (admission.RefuseGrant() is { } tooMany)
            return tooMany;

        var id = NewId(conditions.IdempotencyKey);
        var grant = new GrantLeaseCommand { Id = id, TtlMs = (long)lifetime.TotalMilliseconds, IdempotencyKey = conditions.IdempotencyKey, Owner = LeaseCaller.Of(context).Name };
        var result = await kv.WriteAsync(grant, context.RequestAborted);
        if (result.Replayed)
            context.Response.Headers[ValueResults.ReplayedHeader] = "true";
        if (result.Outcome is CommandOutcome.IdempotencyKeyReused)
            return ValueResults.Written(context, "", result);
        if (result.Outcome is not CommandOutcome.Applied)
            return Problems.Of(StatusCodes.Status409Conflict, "Lease id taken", $"Lease {id} already exists; grant again without this Idempotency-Key.");

        LeaseInstruments.LeasesGranted.Add(1);
        context.Response.Headers.Location = $"/v1/leases/{id}";
        return Results.Json(
            new LeaseGrantedJson { Id = id, Ttl = KvDb.Flags.Duration.Format(lifetime), TtlSeconds = lifetime.TotalSeconds, Revision = result.Revision },
            KvDbJsonContext.Default.LeaseGrantedJson,
            statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> KeepAliveAsync(string id, HttpContext context, LeaseForwarder clock, LeaseOwnership ownership)
    {
        if (ParseId(id) is not { } lease)
            return BadId(id);
        var token = context.RequestAborted;
        if (!await ownership.MayUseAsync(LeaseCaller.Of(context), lease, token))
            return NotFound(lease);
        return await clock.AskAsync(lease, renew: true, token) is { } time
            ? Results.Json(Describe(lease, time), KvDbJsonContext.Default.LeaseTimeJson)
            : NotFound(lease);
    }

    private static async Task<IResult> DescribeAsync(string id, HttpContext context, KvService kv, LeaseForwarder clock)
    {
        if (ParseId(id) is not { } lease)
            return BadId(id);
        if (!KvService.TryParseConsistency(context.Request.Query["consistency"], out var consistency))
            return Problems.BadRequest($"consistency must be {KvService.ConsistencyNames}.");

        List<string> keys;
        LeaseInfo info;
        using (var view = await kv.OpenViewAsync(consistency, context.RequestAborted))
        {
            if (Read(view, lease) is not { } stored || !LeaseCaller.Of(context).Owns(stored))
                return NotFound(lease);
            info = stored;
            keys = [.. AttachedKeys(view, lease).Where(k => CallerAccess.MayRead(context, k)).Select(static k => Encoding.UTF8.GetString(k))];
        }

        var time = await clock.AskAsync(lease, renew: false, context.RequestAborted);
        return Results.Json(
            new LeaseInfoJson { Id = lease, TtlSeconds = info.TtlMs / 1000.0, RemainingSeconds = time is { } t ? t.RemainingMs / 1000.0 : null, Keys = keys, Owner = info.Owner },
            KvDbJsonContext.Default.LeaseInfoJson);
    }

    private static async Task<IResult> ListAsync(HttpContext context, KvService kv, LocalState state)
    {
        if (!KvService.TryParseConsistency(context.Request.Query["consistency"], out var consistency))
            return Problems.BadRequest($"consistency must be {KvService.ConsistencyNames}.");
        var caller = LeaseCaller.Of(context);
        using (await kv.OpenViewAsync(consistency, context.RequestAborted))
        {
            var leases = state.Leases.All().Where(caller.Owns).OrderBy(static l => l.Id)
                .Select(static l => new LeaseSummaryJson { Id = l.Id, TtlSeconds = l.TtlMs / 1000.0, Owner = l.Owner }).ToList();
            return Results.Json(new LeaseListJson { Count = leases.Count, Leases = leases }, KvDbJsonContext.Default.LeaseListJson);
        }
    }

    private static async Task<IResult> RevokeAsync(string id, HttpContext context, KvService kv)
    {
        if (ParseId(id) is not { } lease)
            return BadId(id);
        using (var view = await kv.OpenViewAsync(ReadConsistency.Linearizable, context.RequestAborted))
        {
            if (Read(view, lease) is not { } stored || !LeaseCaller.Of(context).Owns(stored))
                return NotFound(lease);
            foreach (var key in AttachedKeys(view, lease))
            {
                if (KeyAccess.Denied(context, Access.Write, key) is { } denied)
                    return denied;
            }
        }

        var result = await kv.WriteAsync(new RevokeLeaseCommand { Id = lease }, context.RequestAborted);
        if (result.Outcome is not CommandOutcome.Applied)
            return NotFound(lease);
        LeaseInstruments.LeasesRevoked.Add(1);
        return Results.NoContent();
    }

    /// <summary>Lease <paramref name="id"/> as <paramref name="view"/> stores it, or null.</summary>
    public static LeaseInfo? Read(IKeyValueView view, long id)
        => view.TryGet(StoreKeys.ForLease(id), out var bytes) && bytes is not null ? LeaseTable.Decode(id, bytes) : null;

    /// <summary>The user keys attached to <paramref name="lease"/> in <paramref name="view"/>.</summary>
    public static IEnumerable<byte[]> AttachedKeys(IKeyValueView view, long lease)
    {
        var start = StoreKeys.ForAttachment(lease, []);
        foreach (var (key, _) in view.Scan(start, StoreKeys.ForAttachment(lease + 1, [])))
            yield return key[start.Length..];
    }

    private static LeaseTimeJson Describe(long id, LeaseTime time) => new() { Id = id, TtlSeconds = time.TtlMs / 1000.0, RemainingSeconds = time.RemainingMs / 1000.0 };

    private static IResult BadId(string id) => Problems.BadRequest($"'{ValueResults.Shorten(id)}' is not a lease id (a positive whole number).");

    /// <summary>404 for a lease that does not exist.</summary>
    public static IResult NotFound(long id)
        => Problems.Of(StatusCodes.Status404NotFound, ProblemTitles.LeaseNotFound, $"Lease {id} does not exist: it was revoked, expired or never granted.");
}
