// The request headers that shape a write: If-Match / If-None-Match (optimistic locking on the
// key's revision, RFC 9110 §13.1) and Idempotency-Key (exactly-once retries).
// Invariants: ETags are strong and are the key's revision in quotes ("42"). A weak ETag never
// matches (If-Match uses strong comparison), so it fails the precondition rather than passing it.
// An Idempotency-Key is remembered per user (issue 26): with auth on, the key a command carries
// is "{user} {header}". User names and header values have no spaces, so two users' keys never
// meet, and neither meets a key written with auth off (the bare header, as before).
using System.Globalization;
using KvDb.Core.Commands;

namespace KvDb.Node.HttpKit;

/// <summary>The conditions and idempotency key of one write request.</summary>
public sealed record WriteConditions(Precondition? Condition, string? IdempotencyKey)
{
    /// <summary>The longest accepted Idempotency-Key.</summary>
    public const int MaxIdempotencyKeyLength = 255;

    /// <summary>The header carrying the idempotency key.</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>
    /// Reads the write headers of <paramref name="request"/>, the idempotency key scoped to
    /// <paramref name="user"/> (the authenticated user's name; null with auth off); an error
    /// message fit for a 400 otherwise.
    /// </summary>
    public static (WriteConditions? Conditions, string? Error) FromRequest(HttpRequest request, string? user)
    {
        var (condition, error) = ParseCondition(request.Headers.IfMatch.ToString(), request.Headers.IfNoneMatch.ToString());
        if (error is not null)
            return (null, error);

        var idempotencyKey = request.Headers[IdempotencyKeyHeader].ToString();
        if (idempotencyKey.Length == 0)
            return (new(condition, null), null);
        if (idempotencyKey.Length > MaxIdempotencyKeyLength || !idempotencyKey.All(static c => c is >= '!' and <= '~'))
            return (null, $"Idempotency-Key must be 1 to {MaxIdempotencyKeyLength} visible ASCII characters.");
        return (new(condition, user is null ? idempotencyKey : string.Concat(user, " ", idempotencyKey)), null);
    }

    private static (Precondition? Condition, string? Error) ParseCondition(string ifMatch, string ifNoneMatch)
    {
        if (ifMatch.Length > 0 && ifNoneMatch.Length > 0)
            return (null, "Use If-Match or If-None-Match, not both.");

        if (ifNoneMatch.Length > 0)
        {
            return ifNoneMatch.Trim() == "*"
                ? (new Precondition { MustNotExist = true }, null)
                : (null, "If-None-Match on a write must be * (create only).");
        }

        if (ifMatch.Length == 0)
            return (null, null);

        var tag = ifMatch.Trim();
        if (tag == "*")
            return (new Precondition { MustExist = true }, null);
        if (tag.Contains(','))
            return (null, "If-Match takes one ETag (the key's revision, like \"42\") or *.");
        if (tag.StartsWith("W/", StringComparison.Ordinal))
            return (new Precondition { Revision = -1 }, null);
        if (TryParseETag(tag) is { } revision)
            return (new Precondition { Revision = revision }, null);
        return (null, $"If-Match '{Shorten(tag)}' is not an ETag: use the key's revision in quotes, like \"42\", or *.");
    }

    /// <summary>The revision in a strong ETag (<c>"42"</c>), or null when it is not one.</summary>
    public static long? TryParseETag(string tag)
        => tag.Length > 2 && tag[0] == '"' && tag[^1] == '"'
           && long.TryParse(tag.AsSpan(1, tag.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var revision)
           && revision > 0
            ? revision
            : null;

    /// <summary>The strong ETag of a revision.</summary>
    public static string ETagOf(long revision) => string.Create(CultureInfo.InvariantCulture, $"\"{revision}\"");

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
