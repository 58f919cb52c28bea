// The S2 key-value example's API: typed JSON values under string keys.
//   PUT    /api                          {"key": "...", "value": {"Str": "world"}}
//   GET    /api/Strong?key=...           linearizable (also /api/Strong/)
//   GET    /api/Eventual?key=...         this member's applied state at once
//   DELETE /api?key=...
// Invariants:
//  - One keyspace with the raw APIs: a typed value is stored in TypedValueCodec's form and a
//    raw value read here is {"Str": ...} when its bytes are valid UTF-8, else 422 (S2 has no
//    bytes type; the raw APIs still read it).
//  - Strong waits until this member has applied everything committed when the read arrived
//    (and, being a Raft ReadIndex, everything acknowledged before it), up to --request-timeout.
using System.Text;
using KvDb.Core.Auth;
using KvDb.Core.Commands;
using KvDb.Core.Values;
using KvDb.Node.Auth;
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using KvDb.Node.OpenApi;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace KvDb.Node.TypedValues;

/// <summary>Maps <c>/api</c>.</summary>
public static class S2Endpoints
{
    /// <summary>Maps the S2 endpoints.</summary>
    public static void MapS2Endpoints(this IEndpointRouteBuilder app)
    {
        app.MapPut("/api", PutAsync).Allow(AccessRule.Keys)
            .WithTags("keys").WithName("putTypedValue").WithSummary("S2: store a typed value, {\"key\": \"...\", \"value\": {\"Str\": \"world\"}}.")
            .DescribeBody(typeof(System.Text.Json.JsonElement), "application/json")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status507InsufficientStorage);
        app.MapDelete("/api", DeleteAsync).Allow(AccessRule.Keys)
            .WithTags("keys").WithName("deleteTypedValue").WithSummary("S2: delete the key named by ?key=.")
            .WithQuery("key", "The key.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable).ProducesProblem(StatusCodes.Status507InsufficientStorage);
        app.MapGet("/api/{consistency}", GetAsync).Allow(AccessRule.Keys)
            .WithTags("keys").WithName("getTypedValue").WithSummary("S2: read ?key= as a typed value; consistency is Strong (linearizable) or Eventual (this member's state).")
            .WithQuery("key", "The key.")
            .Produces<System.Text.Json.JsonElement>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<IResult> PutAsync(HttpContext context, KvService kv, IOptions<ValueLimits> limits)
    {
        var (conditions, headerError) = WriteConditions.FromRequest(context.Request, CallerAccess.NameOf(context));
        if (conditions is null)
            return Problems.BadRequest(headerError!);

        // JSON text of a value can be several times its binary size (escapes, tags).
        var body = await RequestBody.ReadAsync(context, checked(limits.Value.MaxValueBytes * 4 + 4096));
        if (body is null)
            return Problems.ValueTooLarge(limits.Value.MaxValueBytes);

        KeyValueEnvelope envelope;
        try
        {
            envelope = TypedValueJson.ParseEnvelope(body);
        }
        catch (TypedValueFormatException e)
        {
            return Problems.BadRequest($"Invalid request body at {e.Message}");
        }

        if (ValidateKey(envelope.Key) is { } keyError)
            return Problems.BadRequest(keyError);
        var key = Encoding.UTF8.GetBytes(envelope.Key);
        if (KeyAccess.Denied(context, Access.Write, key) is { } denied)
            return denied;
        if (CallerAccess.DeniedCondition(context, key, conditions.Condition) is { } blind)
            return blind;

        var value = TypedValueCodec.Encode(envelope.Value);
        if (value.Length > limits.Value.MaxValueBytes)
            return Problems.ValueTooLarge(limits.Value.MaxValueBytes);

        var put = new PutCommand
        {
            Key = key,
            Value = value,
            Kind = ValueKind.Typed,
            Condition = conditions.Condition,
            IdempotencyKey = conditions.IdempotencyKey,
        };
        return ValueResults.Written(context, envelope.Key, await kv.WriteAsync(put, context.RequestAborted));
    }

    private static async Task<IResult> GetAsync(HttpContext context, string consistency, KvService kv)
    {
        var level = consistency.ToLowerInvariant() switch
        {
            "strong" => ReadConsistency.Linearizable,
            "eventual" => ReadConsistency.Local,
            _ => (ReadConsistency?)null,
        };
        if (level is null)
            return Problems.BadRequest($"'{ValueResults.Shorten(consistency)}' is not a read consistency: use /api/Strong or /api/Eventual.");
        var (key, keyError) = KeyFromQuery(context);
        if (key is null)
            return Problems.BadRequest(keyError!);
        if (KeyAccess.Denied(context, Access.Read, Encoding.UTF8.GetBytes(key)) is { } denied)
            return denied;

        if (await kv.GetAsync(Encoding.UTF8.GetBytes(key), level.Value, context.RequestAborted) is not { } stored)
            return ValueResults.NotFound(key);

        var value = stored.Kind is ValueKind.Typed ? TypedValueCodec.Decode(stored.Payload) : TypedValue.FromRawBytes(stored.Payload.Span);
        if (value is null)
        {
            return Problems.Of(StatusCodes.Status422UnprocessableEntity, "Not a typed value",
                $"'{ValueResults.Shorten(key)}' holds raw bytes that are not UTF-8 text; read them with GET /v1/kv/{{key}}.");
        }

        context.Response.Headers.ETag = WriteConditions.ETagOf(stored.Revision);
        context.Response.Headers[ValueResults.RevisionHeader] = stored.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.Bytes(TypedValueJson.ToJsonBytes(new KeyValueEnvelope(key, value)), "application/json");
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, KvService kv)
    {
        var (conditions, headerError) = WriteConditions.FromRequest(context.Request, CallerAccess.NameOf(context));
        if (conditions is null)
            return Problems.BadRequest(headerError!);
        var (key, keyError) = KeyFromQuery(context);
        if (key is null)
            return Problems.BadRequest(keyError!);
        var keyBytes = Encoding.UTF8.GetBytes(key);
        if (KeyAccess.Denied(context, Access.Write, keyBytes) is { } denied)
            return denied;
        if (CallerAccess.DeniedCondition(context, keyBytes, conditions.Condition) is { } blind)
            return blind;

        var delete = new DeleteCommand { Key = keyBytes, Condition = conditions.Condition, IdempotencyKey = conditions.IdempotencyKey };
        var result = await kv.WriteAsync(delete, context.RequestAborted);
        return CallerAccess.MayRead(context, keyBytes) ? ValueResults.Written(context, key, result) : ValueResults.Blind(context, key, result);
    }

    // The key from the raw query string, decoded strictly (ASP.NET's query parser keeps an
    // invalid escape such as %FF as the literal text "%FF", which would name another key).
    private static (string? Key, string? Error) KeyFromQuery(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (raw is null)
        {
            var fallback = context.Request.Query["key"].ToString();
            return ValidateKey(fallback) is { } error ? (null, error) : (fallback, null);
        }

        string? key = null;
        var query = raw.IndexOf('?') is var start and >= 0 ? raw[(start + 1)..] : "";
        foreach (var part in query.Split('&'))
        {
            var equals = part.IndexOf('=');
            if ((equals < 0 ? part : part[..equals]) != "key")
                continue;
            if (key is not null)
                return (null, "Give the key once: ?key=...");

            var encoded = equals < 0 ? "" : part[(equals + 1)..].Replace("+", "%20", StringComparison.Ordinal);
            if (encoded.Length == 0)
                return (null, ValidateKey(""));
            var (_, text, decodeError) = KeyPath.Decode(encoded);
            if (decodeError is not null)
                return (null, decodeError);
            key = text;
        }

        if (key is null)
            return (null, "Give the key as ?key=...");
        return ValidateKey(key) is { } invalid ? (null, invalid) : (key, null);
    }

    private static string? ValidateKey(string key)
    {
        if (key.Length == 0)
            return "The key is empty: give it as ?key=... (or \"key\" in the body).";
        if (Encoding.UTF8.GetByteCount(key) > KeyPath.MaxKeyBytes)
            return $"The key is longer than {KeyPath.MaxKeyBytes} bytes of UTF-8.";
        return null;
    }
}
