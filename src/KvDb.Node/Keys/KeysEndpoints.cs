// kvdb's own key-value API: /v1/kv/{key} for one key (raw bytes, revisions as ETags,
// conditional writes, idempotent retries) and /v1/kv for ordered range and prefix reads.
// Invariants:
//  - A range page lists keys in unsigned byte order and comes from one point-in-time view;
//    the continuation token resumes strictly after the last key returned, so paging never
//    repeats or skips a key that exists throughout.
//  - Values in a page are JSON strings when their bytes are valid UTF-8 (typed values: their
//    JSON text), else base64 under "valueBase64".
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using KvDb.Core.Auth;
using KvDb.Core.Commands;
using KvDb.Core.State;
using KvDb.Core.Values;
using KvDb.Node.Auth;
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using KvDb.Node.OpenApi;
using Microsoft.Extensions.Options;

namespace KvDb.Node.Keys;

/// <summary>Maps <c>/v1/kv</c>.</summary>
public static class KeysEndpoints
{
    /// <summary>Items per page when no limit is given.</summary>
    public const int DefaultLimit = 100;

    /// <summary>The largest accepted limit.</summary>
    public const int MaxLimit = 1000;

    private const string Prefix = "/v1/kv/";
    private const string Allow = "GET, HEAD, PUT, DELETE";


    /// <summary>Maps the single-key and range endpoints.</summary>
    public static void MapKeysEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/kv", RangeAsync).Allow(AccessRule.Keys)
            .WithTags("keys").WithName("listKeys").WithSummary("A page of keys and values in byte order: a prefix, or start (inclusive) to end (exclusive).")
            .WithQuery("prefix", "Keys that start with this text (instead of start and end).")
            .WithQuery("start", "The first key of the range (inclusive; default: the first key).")
            .WithQuery("end", "The end of the range (exclusive; default: after the last key).")
            .WithQuery("limit", $"Items per page, 1 to {MaxLimit} (default {DefaultLimit}).")
            .WithQuery("continuation", "The continuation token of the previous page of the same range.")
            .WithQuery("consistency", KvService.ConsistencyDescription)
            .Produces<System.Text.Json.JsonElement>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        // One endpoint for every method: the handler answers 405 with Allow for the others.
        app.Map("/v1/kv/{**key}", HandleKeyAsync).Allow(AccessRule.Keys)
            .DescribeMethods("GET", "HEAD", "PUT", "DELETE").WithTags("keys").WithName("key")
            .WithSummary("One key: GET its value (ETag: its revision), PUT raw bytes (If-Match / If-None-Match, Idempotency-Key), DELETE it.")
            .DescribeKeyHandlers()
            .DescribeResponse("DELETE", StatusCodes.Status204NoContent);
    }

    private static async Task<IResult> HandleKeyAsync(HttpContext context, KvService kv, IOptions<ValueLimits> limits)
    {
        var method = context.Request.Method;
        var (key, text, error) = KeyPath.FromRequest(context, Prefix);
        if (error is not null)
            return Problems.BadRequest(error);

        return method switch
        {
            _ when HttpMethods.IsGet(method) || HttpMethods.IsHead(method) => await KeyHandlers.GetAsync(context, kv, key!, text!),
            _ when HttpMethods.IsPut(method) => await KeyHandlers.PutAsync(context, kv, limits, key!, text!),
            _ when HttpMethods.IsDelete(method) => await KeyHandlers.DeleteAsync(context, kv, key!, text!),
            _ => Problems.MethodNotAllowed(context, Allow),
        };
    }

    private static async Task<IResult> RangeAsync(HttpContext context, KvService kv)
    {
        var query = context.Request.Query;
        if (!KvService.TryParseConsistency(query["consistency"], out var consistency))
            return Problems.BadRequest($"consistency must be {KvService.ConsistencyNames}.");
        if (ParseLimit(query["limit"]) is not { } limit)
            return Problems.BadRequest($"limit must be a whole number from 1 to {MaxLimit} (default {DefaultLimit}).");
        var (range, rangeError) = KeyRange.FromQuery(query["prefix"], query["start"], query["end"]);
        if (range is null)
            return Problems.BadRequest(rangeError!);
        KvdbTracing.TagRead(range.Start, consistency);

        var start = range.Start;
        if (query["continuation"].ToString() is { Length: > 0 } token)
        {
            if (DecodeContinuation(token) is not { } after || !range.Contains(after))
                return Problems.BadRequest("continuation is not a token from a previous page of this range.");
            start = [.. after, 0];
        }

        if (KeyAccess.DeniedRange(context, range.Start, range.End) is { } denied)
            return denied;

        // The view lives until the page is written, after this handler returns. Its revision
        // is where a watch continues from without missing a change (after=revision).
        var view = await kv.OpenViewAsync(consistency, context.RequestAborted);
        context.Response.Headers[KvdbHeaders.Index] = view.Index.ToString(CultureInfo.InvariantCulture);
        return Results.Stream(async stream =>
        {
            using (view)
                await WritePageAsync(stream, view, start, range.End, limit);
        }, "application/json");
    }

    // Hand-written on purpose, in KvDb.Contracts' RangePageJson shape: a page of up to 1000 stored
    // values is written straight from their UTF-8 bytes, where the record would take each through a string.
    private static async Task WritePageAsync(Stream stream, IKeyValueView view, byte[] start, byte[]? end, int limit)
    {
        await using var json = new Utf8JsonWriter(stream, TypedValueJson.WriterOptions);
        json.WriteStartObject();
        json.WriteStartArray("items");
        byte[]? last = null;
        var more = false;
        var count = 0;
        foreach (var (storedKey, record) in view.Scan(StoreKeys.ForUser(start), end is null ? StoreKeys.End(StoreKeys.User) : StoreKeys.ForUser(end)))
        {
            if (count == limit)
            {
                more = true;
                break;
            }

            last = storedKey[1..];
            WriteItem(json, last, StoredValue.Decode(record));
            count++;
        }

        json.WriteEndArray();
        if (more)
            json.WriteString("continuation", EncodeContinuation(last!));
        else
            json.WriteNull("continuation");
        json.WriteNumber("revision", view.Index);
        json.WriteEndObject();
    }

    private static void WriteItem(Utf8JsonWriter json, byte[] key, StoredValue value)
    {
        json.WriteStartObject();
        json.WriteString("key", Encoding.UTF8.GetString(key));
        ValueJson.Write(json, "value", "typed", value.Payload, value.Kind);
        json.WriteNumber("revision", value.Revision);
        json.WriteEndObject();
    }

    private static int? ParseLimit(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return DefaultLimit;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit is >= 1 and <= MaxLimit ? limit : null;
    }

    // The token is the last key returned, base64url: opaque to clients, checked on return.
    private static string EncodeContinuation(byte[] lastKey) => Base64Url.EncodeToString(lastKey);

    private static byte[]? DecodeContinuation(string token)
    {
        try
        {
            var key = Base64Url.DecodeFromChars(token);
            return key.Length is > 0 and <= KeyPath.MaxKeyBytes ? key : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>A range of user keys: [Start, End), End null meaning "to the last key".</summary>
    private sealed record KeyRange(byte[] Start, byte[]? End)
    {
        public bool Contains(byte[] key)
            => key.AsSpan().SequenceCompareTo(Start) >= 0 && (End is null || key.AsSpan().SequenceCompareTo(End) < 0);

        public static (KeyRange? Range, string? Error) FromQuery(string? prefix, string? start, string? end)
        {
            if (!string.IsNullOrEmpty(prefix))
            {
                if (!string.IsNullOrEmpty(start) || !string.IsNullOrEmpty(end))
                    return (null, "Use prefix, or start and end, not both.");
                var bytes = Encoding.UTF8.GetBytes(prefix);
                return (new KeyRange(bytes, KeyOrder.PrefixEnd(bytes)), null);
            }

            var from = Encoding.UTF8.GetBytes(start ?? "");
            var to = string.IsNullOrEmpty(end) ? null : Encoding.UTF8.GetBytes(end);
            if (to is not null && from.AsSpan().SequenceCompareTo(to) > 0)
                return (null, "start must not be after end (end is exclusive).");
            return (new KeyRange(from, to), null);
        }
    }
}
