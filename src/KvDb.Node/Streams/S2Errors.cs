// Errors of S2's API. S2's clients read {"code", "message"} (and, for 412 and 416, the members
// S2 defines); kvdb's rule is RFC 7807 problem details. Both hold at once: every error here is a
// problem-details document whose extension members are S2's.
//  - 400 bad_header / bad_query / bad_json / bad_proto: the request could not be parsed.
//  - 422 invalid: it parsed but breaks S2's rules (sizes, command records, modes).
//  - 412: {"fencing_token_mismatch": token} or {"seq_num_mismatch": next}; 416: {"tail": {...}}.
using System.Text.Json;
using KvDb.Contracts;
using KvDb.Node.HttpKit;
using Microsoft.AspNetCore.WebUtilities;

namespace KvDb.Node.Streams;

/// <summary>An S2 error as problem details.</summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Code">S2's error code.</param>
/// <param name="Message">What went wrong, for people.</param>
/// <param name="Extra">Writes S2's own members (412, 416), or null.</param>
public sealed record S2Error(int Status, string Code, string Message, Action<Utf8JsonWriter>? Extra = null) : IResult
{
    /// <summary>The error as a JSON document.</summary>
    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", "about:blank");
            json.WriteString("title", ReasonPhrases.GetReasonPhrase(Status));
            json.WriteNumber("status", Status);
            json.WriteString("detail", Message);
            json.WriteString("code", Code);
            json.WriteString("message", Message);
            Extra?.Invoke(json);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <inheritdoc/>
    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = Status;
        if (Status == StatusCodes.Status503ServiceUnavailable)
            httpContext.Response.Headers.RetryAfter = "1";
        return Results.Bytes(ToJson(), "application/problem+json").ExecuteAsync(httpContext);
    }

    /// <summary>
    /// S2's codes for the refusals kvdb's auth gate makes before an S2 handler runs: 401 is
    /// S2's <c>authn</c> (what its CLI and SDKs take for a bad or missing token), 403
    /// <c>permission_denied</c>, 429 <c>rate_limited</c>, 503 <c>unavailable</c>.
    /// </summary>
    public static readonly ProblemCodes RefusalCodes = new(
        (StatusCodes.Status401Unauthorized, "authn"), (StatusCodes.Status403Forbidden, "permission_denied"),
        (StatusCodes.Status429TooManyRequests, "rate_limited"), (StatusCodes.Status503ServiceUnavailable, "unavailable"));

    /// <summary>400 bad_header.</summary>
    public static S2Error BadHeader(string message) => new(400, "bad_header", message);

    /// <summary>400 bad_path.</summary>
    public static S2Error BadPath(string message) => new(400, "bad_path", message);

    /// <summary>400 bad_query.</summary>
    public static S2Error BadQuery(string message) => new(400, "bad_query", message);

    /// <summary>400 bad_json.</summary>
    public static S2Error BadJson(string message) => new(400, "bad_json", message);

    /// <summary>400 bad_proto.</summary>
    public static S2Error BadProto(string message) => new(400, "bad_proto", message);

    /// <summary>422 invalid.</summary>
    public static S2Error Invalid(string message) => new(422, "invalid", message);

    /// <summary>404 basin_not_found.</summary>
    public static S2Error BasinNotFound(string basin) => new(404, "basin_not_found", $"basin `{basin}` not found");

    /// <summary>404 stream_not_found.</summary>
    public static S2Error StreamNotFound(string basin, string stream) => new(404, "stream_not_found", $"stream `{stream}` in basin `{basin}` not found");

    /// <summary>409 resource_already_exists.</summary>
    public static S2Error AlreadyExists(string what) => new(409, "resource_already_exists", $"{what} already exists");

    /// <summary>403 permission_denied.</summary>
    public static S2Error Denied(string message) => new(403, "permission_denied", message);

    /// <summary>501 not_implemented.</summary>
    public static S2Error NotImplemented(string what) => new(501, "not_implemented", $"{what}: not implemented by kvdb");

    /// <summary>412 fencing_token_mismatch.</summary>
    public static S2Error FencingTokenMismatch(string token)
        => new(412, "fencing_token_mismatch", "the fencing token does not match the stream's", json => json.WriteString("fencing_token_mismatch", token));

    /// <summary>412 seq_num_mismatch.</summary>
    public static S2Error SeqNumMismatch(long next)
        => new(412, "seq_num_mismatch", $"match_seq_num does not match the stream's next sequence number {next}", json => json.WriteNumber("seq_num_mismatch", next));

    /// <summary>416 with the stream's tail.</summary>
    public static S2Error RangeNotSatisfiable(S2PositionJson tail)
        => new(416, "range_not_satisfiable", $"the read starts at or past the tail ({tail.SeqNum}) and cannot wait", json =>
        {
            json.WriteStartObject("tail");
            json.WriteNumber("seq_num", tail.SeqNum);
            json.WriteNumber("timestamp", tail.Timestamp);
            json.WriteEndObject();
        });
}
