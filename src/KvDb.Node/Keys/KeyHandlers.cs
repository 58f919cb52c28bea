// The single-key handlers shared by kv-db's root paths (/{key}) and kvdb's own /v1/kv/{key}:
// one behaviour, two addresses.
using KvDb.Core.Auth;
using KvDb.Core.Commands;
using KvDb.Node.Auth;
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using KvDb.Node.Leases;
using KvDb.Node.OpenApi;
using KvDb.Node.Raft;
using KvDb.Node.Watch;
using Microsoft.Extensions.Options;

namespace KvDb.Node.Keys;

/// <summary>GET, PUT and DELETE of one key.</summary>
public static class KeyHandlers
{
    /// <summary>Reads <paramref name="key"/> with the consistency the query asks for.</summary>
    public static async Task<IResult> GetAsync(HttpContext context, KvService kv, byte[] key, string text)
    {
        if (KeyAccess.Denied(context, Access.Read, key) is { } denied)
            return denied;
        if (!KvService.TryParseConsistency(QueryLookup.Get(context.Request, "consistency"), out var consistency))
            return Problems.BadRequest($"consistency must be {KvService.ConsistencyNames}.");
        KvdbTracing.TagRead(key, consistency);
        if (QueryLookup.Get(context.Request, PastReads.RevisionQuery) is { } revision)
            return await PastReads.GetAsync(context, kv, key, text, revision, consistency);
        if (QueryLookup.Contains(context.Request, "index") && await BlockAsync(context, kv, key) is { } invalid)
            return invalid;

        var stored = await kv.GetAsync(key, consistency, context.RequestAborted);

        // Read after the value, so it is at least the value's revision: the next ?index= to wait on.
        context.Response.Headers[KvdbHeaders.Index] = kv.AppliedIndex.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return stored is { } value ? ValueResults.Value(context, value) : ValueResults.NotFound(text);
    }

    /// <summary>Stores the request body under <paramref name="key"/>, honouring If-Match, If-None-Match and Idempotency-Key.</summary>
    public static async Task<IResult> PutAsync(HttpContext context, KvService kv, IOptions<ValueLimits> limits, byte[] key, string text)
    {
        KvdbTracing.TagKey(key);
        if (KeyAccess.Denied(context, Access.Write, key) is { } denied)
            return denied;
        var (conditions, error) = WriteConditions.FromRequest(context.Request, CallerAccess.NameOf(context));
        if (conditions is null)
            return Problems.BadRequest(error!);
        if (CallerAccess.DeniedCondition(context, key, conditions.Condition) is { } blind)
            return blind;

        var (lease, grantTtlMs, leaseError) = Leases.LeaseQuery.Parse(context.Request, conditions.IdempotencyKey);
        if (leaseError is not null)
            return Problems.BadRequest(leaseError);
        if (grantTtlMs > 0 && context.RequestServices.GetRequiredService<LeaseAdmission>().RefuseGrant() is { } tooMany)
            return tooMany;
        string? grantOwner = null;
        if (lease != 0)
        {
            var caller = LeaseCaller.Of(context);
            grantOwner = grantTtlMs > 0 ? caller.Name : null;
            if (grantTtlMs == 0 && !await context.RequestServices.GetRequiredService<LeaseOwnership>().MayUseAsync(caller, lease, context.RequestAborted))
                return ValueResults.LeaseNotFound();
        }

        var value = await RequestBody.ReadAsync(context, limits.Value.MaxValueBytes);
        if (value is null)
            return Problems.ValueTooLarge(limits.Value.MaxValueBytes);

        var put = new PutCommand { Key = key, Value = value, Condition = conditions.Condition, IdempotencyKey = conditions.IdempotencyKey, Lease = lease, GrantTtlMs = grantTtlMs, GrantOwner = grantOwner };
        var result = await kv.WriteAsync(put, context.RequestAborted);
        if (lease != 0 && result.Outcome is CommandOutcome.Applied)
            context.Response.Headers[Leases.LeaseQuery.LeaseHeader] = lease.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ValueResults.Written(context, text, result);
    }

    /// <summary>Removes <paramref name="key"/>, honouring If-Match and Idempotency-Key.</summary>
    public static async Task<IResult> DeleteAsync(HttpContext context, KvService kv, byte[] key, string text)
    {
        KvdbTracing.TagKey(key);
        if (KeyAccess.Denied(context, Access.Write, key) is { } denied)
            return denied;
        var (conditions, error) = WriteConditions.FromRequest(context.Request, CallerAccess.NameOf(context));
        if (conditions is null)
            return Problems.BadRequest(error!);
        if (CallerAccess.DeniedCondition(context, key, conditions.Condition) is { } blind)
            return blind;

        var delete = new DeleteCommand { Key = key, Condition = conditions.Condition, IdempotencyKey = conditions.IdempotencyKey };
        var result = await kv.WriteAsync(delete, context.RequestAborted);
        return CallerAccess.MayRead(context, key) ? ValueResults.Written(context, text, result) : ValueResults.Blind(context, text, result);
    }

    // A blocking read (?index=R&wait=D): waits for the key to change after R, then reads as usual;
    // a caller that lost read access to the key meanwhile (an auth change) gets that problem instead.
    private static async Task<IResult?> BlockAsync(HttpContext context, KvService kv, byte[] key)
    {
        var query = context.Request.Query;
        if (!long.TryParse(query["index"], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
            return Problems.BadRequest("index must be a revision (a whole number, 0 or more), as X-Kvdb-Index answered.");
        var wait = TimeSpan.FromMinutes(5);
        if (query["wait"].ToString() is { Length: > 0 } text && (!KvDb.Flags.Duration.TryParse(text, out wait) || wait < TimeSpan.Zero || wait > KeyWait.MaxWait))
            return Problems.BadRequest("wait must be a duration up to 5m, like 30s (default 5m).");

        using var access = context.RequestServices.GetRequiredService<StreamAccess>().Watch(context, Access.Read, key, null, singleKey: true);
        try
        {
            await context.RequestServices.GetRequiredService<KeyWait>().WaitAsync(key, index, wait, access.Token);
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            // Access was lost; answered below.
        }

        return access.Check()?.ToResult();
    }

    /// <summary>Describes, for the OpenAPI document, what the handlers take and answer at either address.</summary>
    public static RouteHandlerBuilder DescribeKeyHandlers(this RouteHandlerBuilder builder)
        => builder
            .WithQuery("consistency", KvService.ConsistencyDescription, "GET", "HEAD")
            .WithQuery(PastReads.RevisionQuery, PastReads.RevisionDescription, "GET", "HEAD")
            .WithQuery("index", "A blocking read: wait until the key changes after this revision (X-Kvdb-Index of an earlier answer).", "GET", "HEAD")
            .WithQuery("wait", "How long a blocking read waits, up to 5m (default 5m).", "GET", "HEAD")
            .WithQuery("lease", "Attach the key to this lease (it is deleted when the lease ends).", "PUT")
            .WithQuery("ttl", "Grant a lease of this TTL (like 30s) and attach the key to it; X-Kvdb-Lease names it.", "PUT")
            .DescribeBody(typeof(Stream), "application/octet-stream", "text/plain")
            .DescribeResponse("GET", StatusCodes.Status200OK, typeof(Stream), "application/octet-stream", "application/json")
            .DescribeResponse("GET", StatusCodes.Status304NotModified)
            .DescribeResponse("HEAD", StatusCodes.Status200OK)
            .DescribeResponse("HEAD", StatusCodes.Status304NotModified)
            .DescribeResponse("PUT", StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status405MethodNotAllowed).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status410Gone).ProducesProblem(StatusCodes.Status412PreconditionFailed).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status507InsufficientStorage);
}
