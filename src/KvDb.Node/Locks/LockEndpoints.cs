// /v1/locks: distributed locks on the ownership queue. POST /v1/locks/{name}?ttl=10s (or
// lease=ID) waits until the caller holds the lock (timeout=, default 30 s; 409 if not acquired
// in time) and answers {"name", "key", "revision", "lease"}: revision is a fencing token that
// strictly increases from holder to holder. DELETE /v1/locks/{name}/{key} releases it; the
// holder's lease expiring or being revoked releases it too, and the next waiter gets it.
// Lock keys live under "_locks/{name}/" and are ordinary keys: ranges and watches see them.
// Auth checks read and write access to them: waiting in a queue, and whether a release finds
// its key, tell who else is there, so a write-only user may not lock (issue 26). lease= names
// only a lease of the caller's own (root: any), and releasing revokes only the lease the queue
// granted the caller for that key (OwnershipQueue). A waiting request is checked again at every
// auth change (StreamAccess): a waiter that lost access answers that problem and leaves the queue.
using KvDb.Contracts;
using KvDb.Core.Auth;
using KvDb.Node.Auth;
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using KvDb.Node.Leases;
using KvDb.Node.Observability;
using KvDb.Node.OpenApi;
using KvDb.Node.Raft;

namespace KvDb.Node.Locks;

/// <summary>Maps <c>/v1/locks</c>.</summary>
public static class LockEndpoints
{
    /// <summary>The prefix every lock's keys live under.</summary>
    public const string KeyPrefix = "_locks/";

    /// <summary>The longest a request waits for a lock.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Maps the lock endpoints.</summary>
    public static void MapLockEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/locks/{name}", AcquireAsync).Allow(AccessRule.Keys)
            .WithTags("locks").WithName("acquireLock").WithSummary("Wait until the caller holds the lock; the answer's revision is a fencing token (needs read and write access to the lock's keys).")
            .Produces<System.Text.Json.JsonElement>(StatusCodes.Status200OK)
            .WithQuery("ttl", "The TTL of the lease granted for this request (default 10s).")
            .WithQuery("lease", "An existing lease to hold it with (instead of ttl).")
            .WithQuery("timeout", "How long to wait, up to 5m (default 30s); 409 when it passes.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable).ProducesProblem(StatusCodes.Status507InsufficientStorage);
        app.MapDelete("/v1/locks/{name}/{**key}", ReleaseAsync).Allow(AccessRule.Keys)
            .WithTags("locks").WithName("releaseLock").WithSummary("Release the lock (or leave its queue) by the key acquire answered; revokes the lease acquire granted for it.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable).ProducesProblem(StatusCodes.Status507InsufficientStorage);
        app.MapGet("/v1/locks/{name}", DescribeAsync).Allow(AccessRule.Keys)
            .WithTags("locks").WithName("getLock").WithSummary("The lock's holder and the keys waiting for it.")
            .Produces<System.Text.Json.JsonElement>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>The lease, TTL and timeout of a contender's request; or an error for a 400.</summary>
    public static (long Lease, long GrantTtlMs, TimeSpan Timeout, string? Error) ParseContender(HttpRequest request)
    {
        var query = request.Query;
        var timeout = TimeSpan.FromSeconds(30);
        if (query["timeout"].ToString() is { Length: > 0 } timeoutText && (!KvDb.Flags.Duration.TryParse(timeoutText, out timeout) || timeout > MaxTimeout))
            return (0, 0, default, "timeout must be a duration up to 5m, like 30s (default 30s).");
        if (query.ContainsKey("lease") && query.ContainsKey("ttl"))
            return (0, 0, default, "Give lease= (an existing lease) or ttl= (a new one), not both.");
        if (query["lease"].ToString() is { Length: > 0 } leaseText)
            return Leases.LeaseEndpoints.ParseId(leaseText) is { } id ? (id, 0, timeout, null) : (0, 0, default, "lease must be a lease id (a positive whole number).");
        var (ttl, error) = Leases.LeaseEndpoints.ParseTtl(query["ttl"].ToString() is { Length: > 0 } t ? t : "10s");
        return ttl is { } lifetime ? (0, (long)lifetime.TotalMilliseconds, timeout, null) : (0, 0, default, error);
    }

    /// <summary>400 for a name that cannot be part of a key.</summary>
    public static string? CheckName(string name)
        => name.Length is 0 or > 256 || name.Contains('/') ? "A name must be 1 to 256 characters without '/'." : null;

    private static async Task<IResult> AcquireAsync(string name, HttpContext context, OwnershipQueue queue, LocalState state, StreamAccess streams)
    {
        if (CheckName(name) is { } bad)
            return Problems.BadRequest(bad);
        var (lease, ttl, timeout, error) = ParseContender(context.Request);
        if (error is not null)
            return Problems.BadRequest(error);
        var prefix = KeyPrefix + name + "/";
        var prefixBytes = System.Text.Encoding.UTF8.GetBytes(prefix);
        if ((KeyAccess.DeniedRangeWrite(context, prefixBytes, KeyOrder.PrefixEnd(prefixBytes)) ?? KeyAccess.DeniedRange(context, prefixBytes, KeyOrder.PrefixEnd(prefixBytes))) is { } denied)
            return denied;
        if (lease == 0 && context.RequestServices.GetRequiredService<LeaseAdmission>().RefuseGrant() is { } tooMany)
            return tooMany;

        QueueEntry? held;
        using var access = streams.Watch(context, Access.ReadWrite, prefixBytes, KeyOrder.PrefixEnd(prefixBytes), singleKey: false);
        try
        {
            held = await queue.JoinAndWaitAsync(prefix, lease, ttl, null, timeout, LeaseCaller.Of(context), access.Token);
        }
        catch (LeaseMissingException e)
        {
            return Leases.LeaseEndpoints.NotFound(e.Id);
        }
        catch (OperationCanceledException) when (access.Check() is { } loss && !context.RequestAborted.IsCancellationRequested)
        {
            // The queue removed the waiter's key.
            return loss.ToResult();
        }

        if (held is null)
        {
            LockInstruments.LockWaits.Add(1, new KeyValuePair<string, object?>("outcome", "timeout"));
            return Problems.Of(StatusCodes.Status409Conflict, "Lock not acquired", $"Lock '{ValueResults.Shorten(name)}' was held by others for the whole timeout ({timeout.TotalSeconds:0.###} s); nothing is left queued.");
        }

        LockInstruments.LockWaits.Add(1, new KeyValuePair<string, object?>("outcome", "acquired"));
        return Results.Json(new LockHeldJson { Name = name, Key = held.Key, Revision = held.Revision, Lease = held.Lease }, KvDbJsonContext.Default.LockHeldJson);
    }

    private static async Task<IResult> ReleaseAsync(string name, string? key, HttpContext context, OwnershipQueue queue)
    {
        if (string.IsNullOrEmpty(key))
            return Problems.BadRequest("Name the lock key to release: DELETE /v1/locks/{name}/{key}.");
        if (CheckName(name) is { } bad)
            return Problems.BadRequest(bad);
        var full = key.StartsWith(KeyPrefix, StringComparison.Ordinal) ? key : KeyPrefix + name + "/" + key;
        if (!full.StartsWith(KeyPrefix + name + "/", StringComparison.Ordinal))
            return Problems.BadRequest($"'{ValueResults.Shorten(key)}' is not a key of lock '{ValueResults.Shorten(name)}'.");
        var fullBytes = System.Text.Encoding.UTF8.GetBytes(full);
        if ((KeyAccess.Denied(context, Access.Write, fullBytes) ?? KeyAccess.Denied(context, Access.Read, fullBytes)) is { } denied)
            return denied;
        return await queue.ReleaseAsync(full, LeaseCaller.Of(context), context.RequestAborted)
            ? Results.NoContent()
            : Problems.Of(StatusCodes.Status404NotFound, "Lock key not found", $"'{ValueResults.Shorten(full)}' is not held or queued (released, or its lease ended).");
    }

    private static async Task<IResult> DescribeAsync(string name, HttpContext context, OwnershipQueue queue)
    {
        if (CheckName(name) is { } bad)
            return Problems.BadRequest(bad);
        var prefix = KeyPrefix + name + "/";
        if (KeyAccess.DeniedRange(context, System.Text.Encoding.UTF8.GetBytes(prefix), KeyOrder.PrefixEnd(System.Text.Encoding.UTF8.GetBytes(prefix))) is { } denied)
            return denied;
        var waiting = await queue.ListAsync(prefix, context.RequestAborted);
        return Results.Json(
            new LockInfoJson
            {
                Name = name,
                Holder = waiting.Count == 0 ? null : new LockHolderJson { Key = waiting[0].Key, Revision = waiting[0].Value.CreateRevision, Lease = OwnershipQueue.LeaseOf(waiting[0].Key) },
                Waiting = waiting.Skip(1).Select(static w => w.Key).ToList(),
            },
            KvDbJsonContext.Default.LockInfoJson);
    }
}
