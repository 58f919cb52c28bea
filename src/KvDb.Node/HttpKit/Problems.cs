// Every error kvdb answers is an RFC 7807 problem-details document (KvDb.Contracts' ProblemJson);
// these build them, with the shared titles of ProblemTitles.
using KvDb.Contracts;

using KvDb.Node.Hosting;
using KvDb.Node.Raft;
using KvDb.Node.Writes;

namespace KvDb.Node.HttpKit;

/// <summary>Factories for the problem-details responses kvdb gives.</summary>
public static class Problems
{
    /// <summary>A 4xx/5xx problem with a title and a detail that tells the client what to do.</summary>
    public static IResult Of(int status, string title, string detail)
        => Results.Problem(statusCode: status, title: title, detail: detail);

    /// <summary>
    /// A refusal made before the endpoint runs (the auth gate's 401, 403, 429 and 503): a plain
    /// problem, plus <c>code</c> and <c>message</c> members when the endpoint's API declares its
    /// own codes through <see cref="ProblemCodes"/> metadata. Only refusals pay for the look-up.
    /// </summary>
    public static IResult Refusal(HttpContext context, int status, string title, string detail)
        => context.GetEndpoint()?.Metadata.GetMetadata<ProblemCodes>()?.For(status) is { } code
            ? Results.Problem(statusCode: status, title: title, detail: detail, extensions: new Dictionary<string, object?> { ["code"] = code, ["message"] = detail })
            : Of(status, title, detail);

    /// <summary>400: the request itself is wrong.</summary>
    public static IResult BadRequest(string detail) => Of(StatusCodes.Status400BadRequest, ProblemTitles.BadRequest, detail);

    /// <summary>503 with Retry-After: the cluster cannot serve this now; retrying later may work.</summary>
    public static IResult Unavailable(HttpContext context, UnavailableException e)
    {
        context.Response.Headers.RetryAfter = "1";
        return Results.Problem(
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: ProblemTitles.Unavailable,
            detail: e.Message,
            extensions: new Dictionary<string, object?> { ["outcomeUnknown"] = e.OutcomeUnknown });
    }

    /// <summary>409: a command not every member can apply yet (a rolling upgrade is under way); names the feature, the members lacking it and the cluster version.</summary>
    public static IResult FeatureUnavailable(FeatureUnavailableException e)
        => Results.Problem(
            statusCode: StatusCodes.Status409Conflict,
            title: ProblemTitles.FeatureUnavailable,
            detail: e.Message,
            extensions: new Dictionary<string, object?> { ["feature"] = e.Feature, ["members"] = e.Members.ToArray(), ["clusterVersion"] = e.ClusterVersion });

    /// <summary>507: a member's disk is below its free-space reserve; the write was not applied. Reads still work.</summary>
    public static IResult InsufficientStorage(InsufficientStorageException e)
        => Of(StatusCodes.Status507InsufficientStorage, ProblemTitles.InsufficientStorage, e.Message);

    /// <summary>405 with the Allow header listing what the resource supports.</summary>
    public static IResult MethodNotAllowed(HttpContext context, string allow)
    {
        context.Response.Headers.Allow = allow;
        return Of(StatusCodes.Status405MethodNotAllowed, ProblemTitles.MethodNotAllowed, $"{context.Request.Method} is not supported here; use {allow}.");
    }

    /// <summary>413 for a value over the limit.</summary>
    public static IResult ValueTooLarge(int maxValueBytes)
        => Of(StatusCodes.Status413PayloadTooLarge, "Value too large", $"Values are limited to {maxValueBytes} bytes (--max-value-bytes).");
}

/// <summary>
/// Endpoint metadata: the error codes an API's clients read in a problem's <c>code</c> member
/// (with the detail again as <c>message</c>), by status, for refusals that shared middleware
/// makes before the API's own handler runs. A feature attaches it to its endpoints; the
/// middleware stays unaware of which API it is.
/// </summary>
public sealed class ProblemCodes
{
    private readonly Dictionary<int, string> codes;

    /// <summary>Codes by HTTP status.</summary>
    public ProblemCodes(params (int Status, string Code)[] codes)
        => this.codes = codes.ToDictionary(c => c.Status, c => c.Code);

    /// <summary>The code for <paramref name="status"/>, or null when the API has none.</summary>
    public string? For(int status) => codes.GetValueOrDefault(status);
}
