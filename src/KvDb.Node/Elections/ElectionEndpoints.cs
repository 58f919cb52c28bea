// /v1/elections: leader election on the ownership queue (etcd's concurrency election).
//   POST /v1/elections/{name}/campaign {"value", "lease" | "ttl"} (?timeout=) waits until elected
//     and answers {"name", "key", "value", "revision", "lease"}; 409 when not elected in time.
//   GET  /v1/elections/{name}            the leader {"key", "value", "revision", "lease"}; 404 none.
//   GET  /v1/elections/{name}/observe    NDJSON, one line per change of leader or of its value
//     (the current leader first; {"leader": null} while there is none), until the client leaves;
//     between changes {"type": "progress", "revision": N} every progress= (10 s by default), so
//     an observer can tell a quiet election from a member that stopped answering.
//   PUT  /v1/elections/{name}/proclaim {"key", "revision", "value"} changes the leader's value;
//     409 unless that key is still the leader with that create revision.
//   POST /v1/elections/{name}/resign {"key"} steps down (the next candidate is elected).
// Candidates' keys live under "_elections/{name}/" and are ordinary keys for ranges, watches and
// auth. A leader whose lease expires or is revoked is no longer leader.
// An observation, and a campaign while it waits, is re-checked at every auth change
// (StreamAccess): once the caller lost access, an observation ends with an error line
// ({"type": "error", ...} problem details) and a campaign answers that problem and withdraws.
using System.Text;
using System.Text.Json;
using KvDb.Contracts;
using KvDb.Core.Auth;
using KvDb.Core.Commands;
using KvDb.Core.Transactions;
using KvDb.Node.Auth;
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using KvDb.Node.Leases;
using KvDb.Node.Locks;
using KvDb.Node.Observability;
using KvDb.Node.OpenApi;
using KvDb.Node.Raft;
using KvDb.Node.Watch;

namespace KvDb.Node.Elections;

/// <summary>Maps <c>/v1/elections</c>.</summary>
public static class ElectionEndpoints
{
    /// <summary>The prefix every election's keys live under.</summary>
    public const string KeyPrefix = "_elections/";

    /// <summary>Maps the election endpoints.</summary>
    public static void MapElectionEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/elections/{name}/campaign", CampaignAsync).Allow(AccessRule.Keys)
            .WithTags("elections").WithName("campaign").WithSummary("Wait until elected: {\"value\", \"lease\" | \"ttl\"}; 409 when not elected within timeout.")
            .WithQuery("ttl", "The TTL of the lease granted for this request (default 10s).")
            .WithQuery("lease", "An existing lease to hold it with (instead of ttl).")
            .WithQuery("timeout", "How long to wait, up to 5m (default 30s); 409 when it passes.")
            .DescribeBody(typeof(JsonElement), "application/json")
            .Produces<System.Text.Json.JsonElement>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable).ProducesProblem(StatusCodes.Status507InsufficientStorage);
        app.MapGet("/v1/elections/{name}", LeaderAsync).Allow(AccessRule.Keys)
            .WithTags("elections").WithName("getElectionLeader").WithSummary("The leader: its key, value, revision and lease.")
            .Produces<System.Text.Json.JsonElement>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapGet("/v1/elections/{name}/observe", ObserveAsync).Allow(AccessRule.Keys)
            .WithTags("elections").WithName("observeElection").WithSummary("JSON lines: the leader now and at each change, progress lines between.")
            .WithQuery("progress", "A progress line after this long without a change (default 10s).")
            .Produces<string>(StatusCodes.Status200OK, "application/x-ndjson")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        app.MapPut("/v1/elections/{name}/proclaim", ProclaimAsync).Allow(AccessRule.Keys)
            .WithTags("elections").WithName("proclaim").WithSummary("Change the leader's value: {\"key\", \"revision\", \"value\"} as the campaign answered; 409 when no longer leader.")
            .DescribeBody(typeof(JsonElement), "application/json")
            .Produces<System.Text.Json.JsonElement>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable).ProducesProblem(StatusCodes.Status507InsufficientStorage);
        app.MapPost("/v1/elections/{name}/resign", ResignAsync).Allow(AccessRule.Keys)
            .WithTags("elections").WithName("resign").WithSummary("Step down: {\"key\"}; the next candidate is elected.")
            .DescribeBody(typeof(JsonElement), "application/json")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable).ProducesProblem(StatusCodes.Status507InsufficientStorage);
    }

    private static string Prefix(string name) => KeyPrefix + name + "/";

    private static IResult? Check(HttpContext context, string name, Access access)
    {
        if (Locks.LockEndpoints.CheckName(name) is { } bad)
            return Problems.BadRequest(bad);
        var prefix = Encoding.UTF8.GetBytes(Prefix(name));
        return access == Access.Read
            ? KeyAccess.DeniedRange(context, prefix, KeyOrder.PrefixEnd(prefix))
            : KeyAccess.DeniedRangeWrite(context, prefix, KeyOrder.PrefixEnd(prefix));
    }

    // The request bodies are read by hand on purpose: typed records would change what is accepted
    // ("lease": null is refused, a "ttl" that is not a string is ignored today).
    private static async Task<JsonElement?> BodyAsync(HttpContext context)
    {
        var body = await RequestBody.ReadAsync(context, 1 << 20);
        if (body is null || body.Length == 0)
            return null;
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind is JsonValueKind.Object && RequestBody.HasOnlyText(json.RootElement) ? json.RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement? body, string name)
        => body is { } b && b.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.String ? value.GetString() : null;

    private static async Task<IResult> CampaignAsync(string name, HttpContext context, Locks.OwnershipQueue queue, LocalState state, StreamAccess streams)
    {
        if (Check(context, name, Access.Write) is { } refused)
            return refused;
        var body = await BodyAsync(context);
        if (body is null || Text(body, "value") is not { } value)
            return Problems.BadRequest("A campaign is a JSON object with the candidate's \"value\" (a string), and \"lease\" or \"ttl\" (default 10s).");
        var (lease, ttl, timeout, error) = Locks.LockEndpoints.ParseContender(context.Request);
        if (error is not null)
            return Problems.BadRequest(error);
        if (body.Value.TryGetProperty("lease", out var leaseId) && (leaseId.ValueKind is not JsonValueKind.Number || !leaseId.TryGetInt64(out lease) || lease <= 0))
            return Problems.BadRequest("lease must be a lease id (a positive whole number).");
        if (Text(body, "ttl") is { } ttlText)
        {
            var (parsed, ttlError) = Leases.LeaseEndpoints.ParseTtl(ttlText);
            if (parsed is not { } lifetime)
                return Problems.BadRequest(ttlError!);
            ttl = (long)lifetime.TotalMilliseconds;
        }

        if (lease == 0 && context.RequestServices.GetRequiredService<LeaseAdmission>().RefuseGrant() is { } tooMany)
            return tooMany;
        Locks.QueueEntry? elected;
        using var access = Watch(context, name, streams, Access.Write);
        try
        {
            elected = await queue.JoinAndWaitAsync(Prefix(name), lease, ttl, value, timeout, LeaseCaller.Of(context), access.Token);
        }
        catch (Locks.LeaseMissingException e)
        {
            return Leases.LeaseEndpoints.NotFound(e.Id);
        }
        catch (OperationCanceledException) when (access.Check() is { } loss && !context.RequestAborted.IsCancellationRequested)
        {
            // The queue withdrew the candidacy.
            return loss.ToResult();
        }

        LockInstruments.LockWaits.Add(1, new KeyValuePair<string, object?>("outcome", elected is null ? "timeout" : "acquired"));
        return elected is null
            ? Problems.Of(StatusCodes.Status409Conflict, "Not elected", $"Another candidate led election '{ValueResults.Shorten(name)}' for the whole timeout ({timeout.TotalSeconds:0.###} s); the candidacy was withdrawn.")
            : Results.Json(new ElectedJson { Name = name, Key = elected.Key, Value = value, Revision = elected.Revision, Lease = elected.Lease }, KvDbJsonContext.Default.ElectedJson);
    }

    private static async Task<IResult> LeaderAsync(string name, HttpContext context, Locks.OwnershipQueue queue)
    {
        if (Check(context, name, Access.Read) is { } refused)
            return refused;
        var candidates = await queue.ListAsync(Prefix(name), context.RequestAborted);
        return candidates.Count == 0
            ? Problems.Of(StatusCodes.Status404NotFound, "No leader", $"Election '{ValueResults.Shorten(name)}' has no candidate.")
            : Results.Json(Describe(candidates[0]), KvDbJsonContext.Default.ElectionLeaderJson);
    }

    private static ElectionLeaderJson Describe((string Key, Core.State.StoredValue Value) leader)
        => new() { Key = leader.Key, Value = Encoding.UTF8.GetString(leader.Value.Payload.Span), Revision = leader.Value.CreateRevision, Lease = leader.Value.Lease };

    private static AccessWatch Watch(HttpContext context, string name, StreamAccess streams, Access access)
    {
        var prefix = Encoding.UTF8.GetBytes(Prefix(name));
        return streams.Watch(context, access, prefix, KeyOrder.PrefixEnd(prefix), singleKey: false);
    }

    private static async Task ObserveAsync(string name, HttpContext context, Locks.OwnershipQueue queue, WatchHub hub, ChangeFeed feed, StreamAccess streams)
    {
        if (Check(context, name, Access.Read) is { } refused)
        {
            await refused.ExecuteAsync(context);
            return;
        }

        var (progress, progressError) = WatchRequest.ParseProgress(context.Request.Query["progress"].ToString());
        if (progressError is not null)
        {
            await Problems.BadRequest(progressError).ExecuteAsync(context);
            return;
        }

        using var access = Watch(context, name, streams, Access.Read);
        var token = context.RequestAborted;
        context.Response.ContentType = "application/x-ndjson";
        context.Response.Headers.CacheControl = "no-cache";
        await context.Response.StartAsync(token);
        var prefix = Encoding.UTF8.GetBytes(Prefix(name));
        var watcher = new Watcher(new KeyFilter(prefix, KeyOrder.PrefixEnd(prefix), SingleKey: false));
        (string Key, long Value)? last = null;
        var first = true;
        var attached = false;
        var sinceWrite = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            while (!token.IsCancellationRequested)
            {
                // Attach first, then read: a change after the read wakes the watcher.
                if (!attached || watcher.Dropped)
                {
                    hub.Detach(watcher);
                    attached = hub.TryAttach(watcher, feed.AppliedIndex);
                }

                var candidates = await queue.ListAsync(Prefix(name), token);

                // Checked after the read: a change applied after the one that took access is never written.
                if (access.Check() is { } loss)
                {
                    await WriteLineAsync(context, loss.ToEventJson(), token);
                    return;
                }

                var leader = candidates.Count == 0 ? ((string, long)?)null : (candidates[0].Key, candidates[0].Value.Revision);
                if (first || leader != last)
                {
                    await WriteLineAsync(context, candidates.Count == 0
                        ? ContractJson.ToUtf8Bytes(new NoLeaderJson(), KvDbJsonContext.Default.NoLeaderJson)
                        : ContractJson.ToUtf8Bytes(Describe(candidates[0]), KvDbJsonContext.Default.ElectionLeaderJson), token);
                    last = leader;
                    first = false;
                    sinceWrite.Restart();
                }
                else if (sinceWrite.Elapsed >= progress)
                {
                    await WriteLineAsync(context, ContractJson.ToUtf8Bytes(new ElectionObservationJson { Type = "progress", Revision = feed.AppliedIndex }, KvDbJsonContext.Default.ElectionObservationJson), token);
                    sinceWrite.Restart();
                }

                var quiet = progress - sinceWrite.Elapsed;
                if (quiet <= TimeSpan.Zero)
                    continue;
                try
                {
                    if (attached)
                    {
                        if (await watcher.WaitAsync(quiet, access.Token))
                            watcher.Drain([]);
                    }
                    else
                    {
                        await feed.WaitForAppliedAfterAsync(feed.AppliedIndex, quiet < TimeSpan.FromSeconds(1) ? quiet : TimeSpan.FromSeconds(1), access.Token);
                    }
                }
                catch (OperationCanceledException) when (!token.IsCancellationRequested)
                {
                    // Access was lost: the next round ends the observation.
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        finally
        {
            hub.Detach(watcher);
        }
    }

    private static async Task WriteLineAsync(HttpContext context, byte[] line, CancellationToken token)
    {
        await context.Response.Body.WriteAsync(line, token);
        await context.Response.Body.WriteAsync("\n"u8.ToArray(), token);
        await context.Response.Body.FlushAsync(token);
    }

    private static async Task<IResult> ProclaimAsync(string name, HttpContext context, Locks.OwnershipQueue queue, KvService kv)
    {
        if (Check(context, name, Access.Write) is { } refused)
            return refused;
        var body = await BodyAsync(context);
        if (Text(body, "key") is not { } key || Text(body, "value") is not { } value || body!.Value.TryGetProperty("revision", out var rev) is false || rev.ValueKind is not JsonValueKind.Number || !rev.TryGetInt64(out var revision))
            return Problems.BadRequest("A proclamation is {\"key\", \"revision\", \"value\"}: the leader's key and create revision as the campaign answered, and the new value.");

        var candidates = await queue.ListAsync(Prefix(name), context.RequestAborted);
        if (candidates.Count == 0 || candidates[0].Key != key)
            return NotLeader(name, key);
        var keyBytes = Encoding.UTF8.GetBytes(key);
        var txn = new TxnCommand
        {
            Comparisons = [new TxnComparison { Key = keyBytes, Target = TxnTarget.CreateRevision, Operator = TxnOperator.Equal, Number = revision }],
            Then = [new TxnOperation { Kind = TxnOperationKind.Put, Key = keyBytes, Value = Encoding.UTF8.GetBytes(value), Lease = candidates[0].Value.Lease }],
            Else = [],
        };
        var result = await kv.WriteAsync(txn, context.RequestAborted);
        if (result.Outcome is CommandOutcome.LeaseNotFound || result.Reply is null || !TxnReply.Decode(result.Reply).Succeeded)
            return NotLeader(name, key);
        return Results.Json(new ProclaimedJson { Name = name, Key = key, Value = value, Revision = revision, ModRevision = result.Revision }, KvDbJsonContext.Default.ProclaimedJson);
    }

    // Resigning revokes only the lease the campaign granted the caller for that key (see
    // OwnershipQueue.ReleaseAsync); it reads as well as writes the key, since a 204 or a 404
    // tells whether it was a candidate.
    private static async Task<IResult> ResignAsync(string name, HttpContext context, Locks.OwnershipQueue queue)
    {
        if ((Check(context, name, Access.Write) ?? Check(context, name, Access.Read)) is { } refused)
            return refused;
        var body = await BodyAsync(context);
        if (Text(body, "key") is not { } key || !key.StartsWith(Prefix(name), StringComparison.Ordinal))
            return Problems.BadRequest($"A resignation is {{\"key\"}}: the key the campaign answered, under '{Prefix(name)}'.");
        return await queue.ReleaseAsync(key, LeaseCaller.Of(context), context.RequestAborted)
            ? Results.NoContent()
            : Problems.Of(StatusCodes.Status404NotFound, "Not a candidate", $"'{ValueResults.Shorten(key)}' is no longer a candidate (resigned, or its lease ended).");
    }

    private static IResult NotLeader(string name, string key)
        => Problems.Of(StatusCodes.Status409Conflict, "Not the leader", $"'{ValueResults.Shorten(key)}' does not lead election '{ValueResults.Shorten(name)}' (with that revision) any more.");
}
