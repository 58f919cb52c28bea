// Turns stored values and write results into HTTP answers, the same way for every API.
// Invariants:
//  - A value is sent as its bytes: raw values as application/octet-stream, typed values as
//    their externally tagged JSON (application/json).
//  - Every answer about one key carries its revision as ETag and X-Kvdb-Revision; a 412 carries
//    the current revision, so a client can retry a compare-and-swap without another read.
//  - A caller that may write a key but not read it learns nothing of the key's state (issue 26):
//    its writes state no conditions (refused before proposing), and its deletes answer 204 with
//    the revision of the entry that carried them whether or not the key existed (Blind).
using System.Globalization;
using KvDb.Core.Commands;
using KvDb.Core.State;
using KvDb.Core.Values;
using KvDb.Node.Writes;

namespace KvDb.Node.HttpKit;

/// <summary>HTTP results for values and writes.</summary>
public static class ValueResults
{
    /// <summary>The header carrying a key's revision.</summary>
    public const string RevisionHeader = "X-Kvdb-Revision";

    /// <summary>The header marking an answer replayed for a retried Idempotency-Key.</summary>
    public const string ReplayedHeader = "Idempotent-Replayed";

    /// <summary>200 with the value's bytes, 304 when the client's If-None-Match names its revision, 412 when its If-Match does not.</summary>
    public static IResult Value(HttpContext context, StoredValue value)
    {
        SetRevision(context, value.Revision);
        if (WriteConditions.TryParseETag(context.Request.Headers.IfNoneMatch.ToString().Trim()) == value.Revision)
            return StatusOnlyResult.NotModified;

        if (!IfMatchHolds(context.Request.Headers.IfMatch, value.Revision))
        {
            return Problems.Of(StatusCodes.Status412PreconditionFailed, "Precondition failed",
                $"If-Match does not name the key's current revision {value.Revision.ToString(CultureInfo.InvariantCulture)}.");
        }

        return value.Kind is ValueKind.Typed
            ? new ValueBytesResult(TypedValueCodec.Decode(value.Payload).ToJsonBytes(), "application/json")
            : new ValueBytesResult(value.Payload, "application/octet-stream");
    }

    // If-Match on a read: absent, "*", or a list naming the value's revision.
    private static bool IfMatchHolds(Microsoft.Extensions.Primitives.StringValues ifMatch, long revision)
    {
        if (ifMatch.Count == 0)
            return true;
        foreach (var header in ifMatch)
        {
            foreach (var tag in (header ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (tag == "*" || WriteConditions.TryParseETag(tag) == revision)
                    return true;
            }
        }

        return false;
    }

    /// <summary>404 for a key that is not stored.</summary>
    public static IResult NotFound(string key)
        => Problems.Of(StatusCodes.Status404NotFound, "Key not found", $"No value is stored under '{Shorten(key)}'.");

    /// <summary>The answer to a put or delete: <paramref name="success"/> when applied, else the reason.</summary>
    public static IResult Written(HttpContext context, string key, ProposalResult result, IResult? success = null)
    {
        if (result.Replayed)
            context.Response.Headers[ReplayedHeader] = "true";

        switch (result.Outcome)
        {
            case CommandOutcome.Applied:
                SetRevision(context, result.Revision);
                return success ?? StatusOnlyResult.NoContent;
            case CommandOutcome.NotFound:
                return NotFound(key);
            case CommandOutcome.PreconditionFailed:
                if (result.Revision > 0)
                    SetRevision(context, result.Revision);
                return Results.Problem(
                    statusCode: StatusCodes.Status412PreconditionFailed,
                    title: "Precondition failed",
                    detail: result.Revision > 0
                        ? $"'{Shorten(key)}' is at revision {result.Revision}; the write's If-Match/If-None-Match did not hold."
                        : $"'{Shorten(key)}' does not exist; the write's If-Match did not hold.",
                    extensions: new Dictionary<string, object?> { ["currentRevision"] = result.Revision });
            case CommandOutcome.LeaseNotFound:
                return LeaseNotFound();
            case CommandOutcome.IdempotencyKeyReused:
                return Problems.Of(StatusCodes.Status422UnprocessableEntity, "Idempotency-Key reused",
                    "This Idempotency-Key was already used for a different request; use a new key for a new request.");
            default:
                return Problems.Of(StatusCodes.Status409Conflict, "Conflict", $"The write was refused ({result.Outcome}).");
        }
    }

    /// <summary>
    /// The answer to a delete for a caller that may not read the key: as <see cref="Written"/>, but
    /// a key that did not exist answers like one that did, 204 with the revision of the entry that
    /// carried the delete (what a delete that removed it answers).
    /// </summary>
    public static IResult Blind(HttpContext context, string key, ProposalResult result)
        => Written(context, key, result.Outcome is CommandOutcome.NotFound ? result with { Outcome = CommandOutcome.Applied, Revision = result.Index } : result);

    /// <summary>404 for a write naming a lease that does not exist, or that is not the caller's to use (the same answer, so lease ids tell nothing).</summary>
    public static IResult LeaseNotFound()
        => Problems.Of(StatusCodes.Status404NotFound, "Lease not found", "The write names a lease that does not exist (revoked, expired or never granted); nothing was written.");

    private static void SetRevision(HttpContext context, long revision)
    {
        context.Response.Headers.ETag = WriteConditions.ETagOf(revision);
        context.Response.Headers[RevisionHeader] = revision.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>A key as it may appear in an error message.</summary>
    public static string Shorten(string key) => key.Length <= 100 ? key : key[..100] + "…";
}
