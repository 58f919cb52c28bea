// Reads of the past, from the change history kept for watchers (--watch-history):
// GET /v1/kv/{key}?revision=R and GET /v1/kv?...&revision=R (the keys as they were right after
// R), and GET /v1/history/{key} (a key's changes, newest first).
// Invariants:
//  - Each answer comes from one point-in-time view of the store, whose user keys and history
//    were written by the same batches (PastState), so a range at R is consistent across all its
//    keys, and its pages are too: the state at R never changes while R is in the window.
//  - R older than the history (below its compacted revision) is 410 with compactRevision, as
//    a watch's after= is; R past this member's applied index is 400 with consistency=local, and
//    with linearizable reads waits for R to apply, up to --request-timeout, then 400.
//  - Permissions are checked before anything is read: a key's history and past values need
//    the same read access as its present value.
//  - The plain GET and range paths pay one query look-up for this and nothing else.
using System.Globalization;
using KvDb.Contracts;
using KvDb.Core.Auth;
using KvDb.Core.State;
using KvDb.Core.Watch;
using KvDb.Node.Auth;
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using KvDb.Node.OpenApi;
using KvDb.Node.Raft;
using Microsoft.Extensions.Options;

namespace KvDb.Node.Keys;

/// <summary>Reads at a past revision and a key's history.</summary>
public static class PastReads
{
    /// <summary>The query parameter naming the revision to read at.</summary>
    public const string RevisionQuery = "revision";

    /// <summary>What the revision parameter does, for the OpenAPI document.</summary>
    public const string RevisionDescription = "Read as it was right after this revision (within --watch-history; older is 410, newer than this member's state waits for it, or is 400 with consistency=local).";

    private const string HistoryPrefix = "/v1/history/";

    /// <summary>Maps <c>GET /v1/history/{key}</c>.</summary>
    public static void MapHistoryEndpoint(this IEndpointRouteBuilder app)
        => app.MapGet("/v1/history/{**key}", HistoryAsync).Allow(AccessRule.Keys)
            .WithTags("keys").WithName("keyHistory")
            .WithSummary("A key's changes within the change history (--watch-history), newest first: revision, put or delete, value, lease, the entry's timestamp.")
            .WithQuery("before", "Only changes before this revision: the previous page's \"before\" (default: from the newest).")
            .WithQuery("limit", $"Changes per page, 1 to {KeysEndpoints.MaxLimit} (default {KeysEndpoints.DefaultLimit}); a revision's changes are never split, so a page may hold a few more.")
            .WithQuery("consistency", KvService.ConsistencyDescription)
            .Produces<KeyHistoryJson>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status410Gone)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    /// <summary>Parses a revision: a whole number, 0 or more.</summary>
    public static bool TryParseRevision(string? text, out long revision)
        => long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out revision);

    /// <summary>The problem for an unparsable revision parameter.</summary>
    public static IResult BadRevision(string name)
        => Problems.BadRequest($"{name} must be a revision (a whole number, 0 or more), like the ETag or X-Kvdb-Index of an earlier answer.");

    /// <summary>GET of one key as it was right after the revision <paramref name="revisionText"/> names (the caller checked read access).</summary>
    public static async Task<IResult> GetAsync(HttpContext context, KvService kv, byte[] key, string text, string revisionText, ReadConsistency consistency)
    {
        if (!TryParseRevision(revisionText, out var revision))
            return BadRevision(RevisionQuery);
        if (QueryLookup.Contains(context.Request, "index"))
            return Problems.BadRequest("revision and index cannot be combined: a read at a revision does not wait for a change.");

        var (view, problem) = await OpenAtAsync(context, kv, revision, consistency);
        if (view is null)
            return problem!;
        using (view)
        {
            var past = PastState.Get(view, key, revision, out var decoded);
            KeyInstruments.Record("get", decoded);
            context.Response.Headers[KvdbHeaders.Index] = view.Index.ToString(CultureInfo.InvariantCulture);
            return past is { } value
                ? ValueResults.Value(context, new StoredValue(value.Kind, value.Revision, value.Payload, 0, 0))
                : Problems.Of(StatusCodes.Status404NotFound, "Key not found", $"No value was stored under '{ValueResults.Shorten(text)}' right after revision {revision}.");
        }
    }

    /// <summary>
    /// Opens a view that covers <paramref name="revision"/>: after the read barrier of
    /// <paramref name="consistency"/>, waiting for the revision to apply when it is newer
    /// (linearizable); or the problem to answer instead (400 future, 410 compacted).
    /// </summary>
    public static async Task<(IKeyValueView? View, IResult? Problem)> OpenAtAsync(HttpContext context, KvService kv, long revision, ReadConsistency consistency)
    {
        var view = await kv.OpenViewAsync(consistency, context.RequestAborted);
        if (revision > view.Index)
        {
            var applied = view.Index;
            view.Dispose();
            if (consistency is ReadConsistency.Local)
                return (null, Future(revision, applied, "consistency=local does not wait for it"));

            // Linearizable: the revision may be committed but not applied here yet, or not
            // written at all; wait a bounded time for it, as any read waits for its barrier.
            var consensus = context.RequestServices.GetRequiredService<IConsensus>();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            timeout.CancelAfter(context.RequestServices.GetRequiredService<IOptions<MemberOptions>>().Value.RequestTimeout);
            try
            {
                await consensus.WaitForApplyAsync(revision, timeout.Token);
            }
            catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
            {
                return (null, Future(revision, consensus.AppliedIndex, "it did not arrive within --request-timeout"));
            }

            view = await kv.OpenViewAsync(ReadConsistency.Local, context.RequestAborted);
        }

        var compacted = ChangeHistory.CompactedRevision(view);
        if (revision < compacted)
        {
            view.Dispose();
            return (null, Compacted(compacted));
        }

        return (view, null);
    }

    /// <summary>410 for a revision the history has forgotten, as a watch answers it.</summary>
    public static IResult Compacted(long compacted)
    {
        KeyInstruments.PastReadsCompacted.Add(1);
        return Results.Problem(
            statusCode: StatusCodes.Status410Gone,
            title: "Revision compacted",
            detail: $"Changes up to revision {compacted} are no longer kept (--watch-history); read at revision {compacted} or later.",
            extensions: new Dictionary<string, object?> { ["compactRevision"] = compacted });
    }

    private static IResult Future(long revision, long applied, string why)
        => Results.Problem(
            statusCode: StatusCodes.Status400BadRequest,
            title: ProblemTitles.BadRequest,
            detail: $"Revision {revision} is newer than the newest revision here, {applied}, and {why}.",
            extensions: new Dictionary<string, object?> { [RevisionQuery] = applied });

    private static async Task<IResult> HistoryAsync(HttpContext context, KvService kv)
    {
        var (key, text, error) = KeyPath.FromRequest(context, HistoryPrefix);
        if (error is not null)
            return Problems.BadRequest(error);
        if (KeyAccess.Denied(context, Access.Read, key!) is { } denied)
            return denied;

        var query = context.Request.Query;
        if (!KvService.TryParseConsistency(query["consistency"], out var consistency))
            return Problems.BadRequest($"consistency must be {KvService.ConsistencyNames}.");
        var limit = KeysEndpoints.DefaultLimit;
        if (query["limit"].ToString() is { Length: > 0 } limitText
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > KeysEndpoints.MaxLimit))
            return Problems.BadRequest($"limit must be a whole number from 1 to {KeysEndpoints.MaxLimit} (default {KeysEndpoints.DefaultLimit}).");
        long? before = null;
        if (query["before"].ToString() is { Length: > 0 } beforeText)
        {
            if (!TryParseRevision(beforeText, out var parsed))
                return BadRevision("before");
            before = parsed;
        }

        using var view = await kv.OpenViewAsync(consistency, context.RequestAborted);
        var compacted = ChangeHistory.CompactedRevision(view);
        if (before <= compacted)
            return Compacted(compacted);

        var changes = PastState.History(view, key!, before ?? view.Index + 1, limit, out var more, out var decoded);
        KeyInstruments.Record("history", decoded);
        context.Response.Headers[KvdbHeaders.Index] = view.Index.ToString(CultureInfo.InvariantCulture);
        var page = new KeyHistoryJson
        {
            Key = text!,
            Items = [.. changes.Select(ToJson)],
            Before = more ? changes[^1].Revision : null,
            Revision = view.Index,
            CompactRevision = compacted,
        };
        return Results.Bytes(ContractJson.ToUtf8Bytes(page, KvDbJsonContext.Default.KeyHistoryJson), "application/json");
    }

    private static KeyChangeJson ToJson(KeyChange change)
    {
        var (value, base64, typed) = change.Change.Deleted ? default : ValueJson.Fields(change.Change.Value ?? [], change.Change.Kind);
        return new KeyChangeJson
        {
            Revision = change.Revision,
            Operation = change.Change.Deleted ? WatchEventTypes.Delete : WatchEventTypes.Put,
            Value = value,
            ValueBase64 = base64,
            Typed = typed,
            Lease = change.Change.Lease is > 0 ? change.Change.Lease : null,
            Timestamp = change.ProposedAtUnixMs,
        };
    }
}
