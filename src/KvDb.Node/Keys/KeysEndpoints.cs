// kvdb's own key-value API: /v1/kv/{key} for one key (raw bytes, revisions as ETags,
// conditional writes, idempotent retries) and /v1/kv for ordered range and prefix reads.
// Invariants:
//  - A range page lists keys in unsigned byte order and comes from one point-in-time view;
//    the continuation token resumes strictly after the last key returned, so paging never
//    repeats or skips a key that exists throughout.
//  - Values in a page are JSON strings when their bytes are valid UTF-8 (typed values: their
//    JSON text), else base64 under "valueBase64".
//  - A filtered page (contains=, delimiter=, keysOnly=) examines at most scanLimit keys, so a
//    substring search over a huge range answers in bounded time; its continuation is the last
//    key examined, matched or not, and a group of keys under one delimited prefix that the bound
//    cuts continues, with the rest of its count, on the next page.
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

    /// <summary>Keys a filtered page examines when no scanLimit is given.</summary>
    public const int DefaultScanLimit = 10_000;

    /// <summary>The largest accepted scanLimit.</summary>
    public const int MaxScanLimit = 100_000;

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
            .WithQuery("contains", "Only keys that contain this text (case-sensitive), searched on the server over at most scanLimit keys per page.")
            .WithQuery("delimiter", "Group the keys that have this text after the prefix into \"prefixes\" (each prefix up to and including it, with a count of its keys).")
            .WithQuery("keysOnly", "true: leave values out (each item has \"size\" in bytes instead).")
            .WithQuery("scanLimit", $"With contains, delimiter or keysOnly: the most keys a page examines, 1 to {MaxScanLimit} (default {DefaultScanLimit}); the page may then hold fewer than limit items and still have a continuation.")
            .WithQuery(PastReads.RevisionQuery, PastReads.RevisionDescription + " Pass the same revision with each continuation: the pages are then one consistent state. Not with contains, delimiter or keysOnly.")
            .Produces<System.Text.Json.JsonElement>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status410Gone).ProducesProblem(StatusCodes.Status503ServiceUnavailable);

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

        var (filter, filterError) = PageFilter.FromQuery(query["contains"], query["delimiter"], query["keysOnly"], query["scanLimit"], query["prefix"]);
        if (filterError is not null)
            return Problems.BadRequest(filterError);

        var start = range.Start;
        if (query["continuation"].ToString() is { Length: > 0 } token)
        {
            if (DecodeContinuation(token) is not { } after || !range.Contains(after))
                return Problems.BadRequest("continuation is not a token from a previous page of this range.");
            start = [.. after, 0];
        }

        if (KeyAccess.DeniedRange(context, range.Start, range.End) is { } denied)
            return denied;
        if (query[PastReads.RevisionQuery].ToString() is { Length: > 0 } revisionText)
        {
            return filter is null
                ? await RangeAtAsync(context, kv, consistency, revisionText, range.Start, start, range.End, query["prefix"], limit)
                : Problems.BadRequest($"{PastReads.RevisionQuery} cannot be combined with contains, delimiter or keysOnly.");
        }

        // The view lives until the page is written, after this handler returns. Its revision
        // is where a watch continues from without missing a change (after=revision).
        var view = await kv.OpenViewAsync(consistency, context.RequestAborted);
        context.Response.Headers[KvdbHeaders.Index] = view.Index.ToString(CultureInfo.InvariantCulture);
        return Results.Stream(async stream =>
        {
            using (view)
            {
                if (filter is null)
                    await WritePageAsync(stream, Current(view, start, range.End), view.Index, limit);
                else
                    await WriteFilteredPageAsync(stream, view, start, range.End, limit, filter);
            }
        }, "application/json");
    }

    // A range as it was right after a past revision (PastReads): the same page, from the history.
    // What the range undoes is kept across its pages (PastRangeCache, keyed by the whole range),
    // so a page after the first starts at its continuation and costs what it returns.
    private static async Task<IResult> RangeAtAsync(HttpContext context, KvService kv, ReadConsistency consistency, string revisionText, byte[] rangeStart, byte[] start, byte[]? end, string? prefix, int limit)
    {
        if (!PastReads.TryParseRevision(revisionText, out var revision))
            return PastReads.BadRevision(PastReads.RevisionQuery);
        var (view, problem) = await PastReads.OpenAtAsync(context, kv, revision, consistency);
        if (view is null)
            return problem!;

        var cache = context.RequestServices.GetRequiredService<Core.Watch.PastRangeCache>();
        context.Response.Headers[KvdbHeaders.Index] = view.Index.ToString(CultureInfo.InvariantCulture);
        return Results.Stream(async stream =>
        {
            using (view)
            {
                var undo = cache.Get(view, revision, rangeStart, end, string.IsNullOrEmpty(prefix) ? null : Encoding.UTF8.GetBytes(prefix), out var decoded);
                var items = Core.Watch.PastState.Page(view, undo, start)
                    .Select(static item => (item.Key, new StoredValue(item.Value.Kind, item.Value.Revision, item.Value.Payload, 0, 0)));
                await WritePageAsync(stream, items, revision, limit);
                KeyInstruments.Record("range", decoded);
            }
        }, "application/json");
    }

    private static IEnumerable<(byte[] Key, StoredValue Value)> Current(IKeyValueView view, byte[] start, byte[]? end)
    {
        foreach (var (storedKey, record) in view.Scan(StoreKeys.ForUser(start), end is null ? StoreKeys.End(StoreKeys.User) : StoreKeys.ForUser(end)))
            yield return (storedKey[1..], StoredValue.Decode(record));
    }

    // Hand-written on purpose, in KvDb.Contracts' RangePageJson shape: a page of up to 1000 stored
    // values is written straight from their UTF-8 bytes, where the record would take each through a string.
    private static async Task WritePageAsync(Stream stream, IEnumerable<(byte[] Key, StoredValue Value)> items, long revision, int limit)
    {
        await using var json = new Utf8JsonWriter(stream, TypedValueJson.WriterOptions);
        json.WriteStartObject();
        json.WriteStartArray("items");
        byte[]? last = null;
        var more = false;
        var count = 0;
        foreach (var (key, value) in items)
        {
            if (count == limit)
            {
                more = true;
                break;
            }

            last = key;
            WriteItem(json, key, value);
            count++;
        }

        json.WriteEndArray();
        if (more)
            json.WriteString("continuation", EncodeContinuation(last!));
        else
            json.WriteNull("continuation");
        json.WriteNumber("revision", revision);
        json.WriteEndObject();
    }

    // A page that filters or groups: examines at most filter.ScanLimit keys; items and groups
    // together count against limit. Groups are runs of adjacent keys (keys sharing a prefix are
    // contiguous in byte order), so counting one needs no memory beyond the run in progress.
    private static async Task WriteFilteredPageAsync(Stream stream, IKeyValueView view, byte[] start, byte[]? end, int limit, PageFilter filter)
    {
        await using var json = new Utf8JsonWriter(stream, TypedValueJson.WriterOptions);
        json.WriteStartObject();
        json.WriteStartArray("items");
        var groups = new List<(byte[] Prefix, long Count)>();
        byte[]? last = null;
        var more = false;
        var entries = 0;
        var scanned = 0;
        foreach (var (storedKey, record) in view.Scan(StoreKeys.ForUser(start), end is null ? StoreKeys.End(StoreKeys.User) : StoreKeys.ForUser(end)))
        {
            if (scanned == filter.ScanLimit)
            {
                more = true;
                break;
            }

            var key = storedKey.AsSpan(1);
            if (filter.Contains is { } contains && key.IndexOf(contains) < 0)
            {
                scanned++;
                last = storedKey;
                continue;
            }

            if (filter.GroupOf(key) is var group && group > 0)
            {
                if (groups.Count > 0 && key[..group].SequenceEqual(groups[^1].Prefix))
                {
                    groups[^1] = (groups[^1].Prefix, groups[^1].Count + 1);
                }
                else
                {
                    if (entries == limit)
                    {
                        more = true;
                        break;
                    }

                    groups.Add((key[..group].ToArray(), 1));
                    entries++;
                }
            }
            else
            {
                if (entries == limit)
                {
                    more = true;
                    break;
                }

                WriteItem(json, key, StoredValue.Decode(record), filter.KeysOnly);
                entries++;
            }

            scanned++;
            last = storedKey;
        }

        json.WriteEndArray();
        if (filter.Delimiter is not null)
        {
            json.WriteStartArray("prefixes");
            foreach (var (prefix, count) in groups)
            {
                json.WriteStartObject();
                json.WriteString("prefix", Encoding.UTF8.GetString(prefix));
                json.WriteNumber("count", count);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        if (more)
            json.WriteString("continuation", EncodeContinuation(last is null ? start : last[1..]));
        else
            json.WriteNull("continuation");
        json.WriteNumber("revision", view.Index);
        json.WriteNumber("scanned", scanned);
        json.WriteEndObject();
    }

    private static void WriteItem(Utf8JsonWriter json, ReadOnlySpan<byte> key, StoredValue value, bool keysOnly)
    {
        json.WriteStartObject();
        json.WriteString("key", Encoding.UTF8.GetString(key));
        if (keysOnly)
        {
            json.WriteNumber("size", value.Payload.Length);
            if (value.Kind is ValueKind.Typed)
                json.WriteBoolean("typed", true);
        }
        else
        {
            ValueJson.Write(json, "value", "typed", value.Payload, value.Kind);
        }

        json.WriteNumber("revision", value.Revision);
        if (value.Lease != 0)
            json.WriteNumber("lease", value.Lease);
        json.WriteEndObject();
    }

    private static void WriteItem(Utf8JsonWriter json, byte[] key, StoredValue value) => WriteItem(json, key, value, keysOnly: false);

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

    /// <summary>What a filtered page keeps, groups and leaves out.</summary>
    private sealed record PageFilter(byte[]? Contains, byte[]? Delimiter, int PrefixLength, bool KeysOnly, int ScanLimit)
    {
        // The length of key's group (its prefix through the first delimiter after the range's
        // prefix), or 0 when the key is not in a group.
        public int GroupOf(ReadOnlySpan<byte> key)
        {
            if (Delimiter is null || key.Length <= PrefixLength)
                return 0;
            var at = key[PrefixLength..].IndexOf(Delimiter);
            return at < 0 ? 0 : PrefixLength + at + Delimiter.Length;
        }

        public static (PageFilter? Filter, string? Error) FromQuery(string? contains, string? delimiter, string? keysOnly, string? scanLimit, string? prefix)
        {
            var only = false;
            if (!string.IsNullOrEmpty(keysOnly) && !bool.TryParse(keysOnly, out only))
                return (null, "keysOnly must be true or false.");
            var scan = DefaultScanLimit;
            if (!string.IsNullOrEmpty(scanLimit)
                && (!int.TryParse(scanLimit, NumberStyles.None, CultureInfo.InvariantCulture, out scan) || scan is < 1 or > MaxScanLimit))
                return (null, $"scanLimit must be a whole number from 1 to {MaxScanLimit} (default {DefaultScanLimit}).");
            var containsBytes = string.IsNullOrEmpty(contains) ? null : Encoding.UTF8.GetBytes(contains);
            if (containsBytes is { Length: > KeyPath.MaxKeyBytes })
                return (null, $"contains must be at most {KeyPath.MaxKeyBytes} bytes.");
            var delimiterBytes = string.IsNullOrEmpty(delimiter) ? null : Encoding.UTF8.GetBytes(delimiter);
            if (delimiterBytes is { Length: > 16 })
                return (null, "delimiter must be at most 16 bytes (usually \"/\").");
            if (containsBytes is null && delimiterBytes is null && !only)
                return (null, null);
            return (new PageFilter(containsBytes, delimiterBytes, Encoding.UTF8.GetByteCount(prefix ?? ""), only, scan), null);
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
