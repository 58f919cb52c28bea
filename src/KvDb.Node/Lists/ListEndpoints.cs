// klstore's keyspaces and appendable lists over HTTP:
//   PUT    /v1/keyspaces/{name}               create (201; 409 if it exists)       Root
//   GET    /v1/keyspaces                      every keyspace the caller may read   any user
//   GET    /v1/keyspaces/{name}               metadata: created at, keys, items, bytes   read
//   DELETE /v1/keyspaces/{name}               remove it and all its lists          Root
//   GET    /v1/keyspaces/{name}/lists         its lists the caller may read, paged  read (each list)
//   GET    /v1/keyspaces/{name}/lists/{key}   one list's metadata                  read
//   POST   /v1/lists/{keyspace}/{key}         append {"items": [...]} or NDJSON    write
//   GET    /v1/lists/{keyspace}/{key}         a page (order, limit, startOffset | startTimestamp
//                                             | startNonce | continuation), ?follow=true streams
// Invariants:
//  - Appends go through Raft as one entry each (concurrent appends to one list share entries);
//    pages are linearizable unless consistency=local; a list that does not exist reads as an
//    empty page.
//  - Nonces skip items already appended; an Idempotency-Key makes a retried append (with or
//    without nonces) apply once and answer its first reply.
//  - Auth checks a list as the key "{keyspace}/{key}": read for pages and metadata, write for
//    appends; a keyspace as the prefix "{keyspace}/": its metadata needs read access to all of it,
//    and the keyspace list shows only such keyspaces (issue 26).
//  - A caller that may append to a list but not read it learns nothing of the list: its items
//    carry no nonces or timestamps (both are compared with the list's, 403), and the answer's
//    offsets are -1.
//  - A follower first sends the page, then every item appended after it, in offset order, with
//    no gap and no duplicate; it waits on the list's own signal (ListFeed).
//  - A follower's access is re-checked before each write and when an auth change takes it
//    (StreamAccess): it then ends with an error line ({"type": "error", ...} problem details).
using System.Buffers.Text;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using KvDb.Contracts;
using KvDb.Core.Auth;
using KvDb.Core.Commands;
using KvDb.Core.Lists;
using KvDb.Core.State;
using KvDb.Node.Auth;
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using KvDb.Node.Observability;
using KvDb.Node.OpenApi;
using KvDb.Node.Raft;
using Microsoft.Extensions.Options;

namespace KvDb.Node.Lists;

/// <summary>Maps <c>/v1/keyspaces</c> and <c>/v1/lists</c>.</summary>
public static class ListEndpoints
{
    /// <summary>The most items a page returns.</summary>
    public const int MaxLimit = 1000;

    /// <summary>Maps the list endpoints.</summary>
    public static void MapListEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPut("/v1/keyspaces/{name}", CreateKeyspaceAsync).Allow(AccessRule.Root)
            .WithTags("lists").WithName("createKeyspace").WithSummary("Create a keyspace for lists.")
            .Produces<System.Text.Json.JsonElement>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable).ProducesProblem(StatusCodes.Status507InsufficientStorage);
        app.MapGet("/v1/keyspaces", ListKeyspacesAsync).Allow(AccessRule.AnyUser)
            .WithTags("lists").WithName("listKeyspaces").WithSummary("Every keyspace the caller may read.")
            .Produces<System.Text.Json.JsonElement>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapGet("/v1/keyspaces/{name}", DescribeKeyspaceAsync).Allow(AccessRule.Keys)
            .WithTags("lists").WithName("getKeyspace").WithSummary("One keyspace (needs read access to every list in it).")
            .Produces<System.Text.Json.JsonElement>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapDelete("/v1/keyspaces/{name}", DeleteKeyspaceAsync).Allow(AccessRule.Root)
            .WithTags("lists").WithName("deleteKeyspace").WithSummary("Delete a keyspace and its lists.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status507InsufficientStorage);
        app.MapGet("/v1/keyspaces/{name}/lists", ListListsAsync).Allow(AccessRule.Keys)
            .WithTags("lists").WithName("listLists").WithSummary("A keyspace's lists the caller may read, in key order, with their metadata, paged.")
            .WithQuery("limit", $"Lists per page, 1 to {MaxLimit} (default 100).")
            .WithQuery("continuation", "The continuation token of the previous page.")
            .Produces<System.Text.Json.JsonElement>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapGet("/v1/keyspaces/{name}/lists/{**key}", DescribeListAsync).Allow(AccessRule.Keys)
            .WithTags("lists").WithName("getList").WithSummary("One list's metadata: offsets, timestamps, item count and size.")
            .Produces<System.Text.Json.JsonElement>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapPost("/v1/lists/{keyspace}/{**key}", AppendAsync).Allow(AccessRule.Keys)
            .WithTags("lists").WithName("appendToList")
            .WithSummary("Append items: {\"items\": [{\"value\" | \"valueBase64\", \"nonce\", \"timestamp\"}]} or the items as NDJSON; an item whose nonce is known is skipped.")
            .DescribeBody(typeof(JsonElement), "application/json", "application/x-ndjson")
            .Produces<System.Text.Json.JsonElement>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable).ProducesProblem(StatusCodes.Status507InsufficientStorage);
        app.MapGet("/v1/lists/{keyspace}/{**key}", ReadAsync).Allow(AccessRule.Keys)
            .WithTags("lists").WithName("readList").WithSummary("A page of a list's items (a list that does not exist reads as an empty page), or with follow=true the items as JSON lines as they are appended.")
            .WithQuery("order", "forward (the default) or backward.")
            .WithQuery("limit", $"Items per page, 1 to {MaxLimit} (default 100).")
            .WithQuery("startOffset", "Start at this offset.")
            .WithQuery("startTimestamp", "Start at the first item with this timestamp or later.")
            .WithQuery("startNonce", "Start at the item with this nonce.")
            .WithQuery("continuation", "The continuation token of the previous page.")
            .WithQuery("consistency", KvService.ConsistencyDescription)
            .WithQuery("follow", "true: stream items as JSON lines as they are appended, until the client leaves.")
            .Produces<System.Text.Json.JsonElement>(StatusCodes.Status200OK, "application/json", "application/x-ndjson")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }

    private static string? CheckName(string name) => name.Length is 0 or > 256 ? "A keyspace name is 1 to 256 characters." : null;

    private static byte[] AccessKey(string keyspace, string key) => Encoding.UTF8.GetBytes(keyspace + "/" + key);

    private static bool MayReadKeyspace(HttpContext context, string keyspace)
    {
        var prefix = AccessKey(keyspace, "");
        return CallerAccess.MayReadRange(context, prefix, KeyOrder.PrefixEnd(prefix));
    }

    private static async Task<IResult> CreateKeyspaceAsync(string name, HttpContext context, KvService kv)
    {
        if (CheckName(name) is { } bad)
            return Problems.BadRequest(bad);
        var result = await kv.WriteAsync(new CreateKeyspaceCommand { Name = name }, default);
        if (result.Outcome is not CommandOutcome.Applied)
            return Problems.Of(StatusCodes.Status409Conflict, "Keyspace exists", $"Keyspace '{ValueResults.Shorten(name)}' already exists.");
        context.Response.Headers.Location = $"/v1/keyspaces/{Uri.EscapeDataString(name)}";
        return Results.Json(new KeyspaceCreatedJson { Name = name }, KvDbJsonContext.Default.KeyspaceCreatedJson, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> DeleteKeyspaceAsync(string name, KvService kv)
    {
        var result = await kv.WriteAsync(new DeleteKeyspaceCommand { Name = name }, default);
        return result.Outcome is CommandOutcome.Applied ? Results.NoContent() : KeyspaceNotFound(name);
    }

    private static async Task<IResult> DescribeKeyspaceAsync(string name, HttpContext context, KvService kv)
    {
        var prefix = AccessKey(name, "");
        if (KeyAccess.DeniedRange(context, prefix, KeyOrder.PrefixEnd(prefix)) is { } denied)
            return denied;
        using var view = await kv.OpenViewAsync(ReadConsistency.Linearizable, context.RequestAborted);
        return ListReader.Keyspace(view, name) is { } info ? Results.Json(Describe(name, info), KvDbJsonContext.Default.KeyspaceJson) : KeyspaceNotFound(name);
    }

    private static async Task<IResult> ListKeyspacesAsync(HttpContext context, KvService kv)
    {
        using var view = await kv.OpenViewAsync(ReadConsistency.Linearizable, context.RequestAborted);
        var all = view.Scan(StoreKeys.Start(ListStore.Keyspaces), StoreKeys.End(ListStore.Keyspaces))
            .Select(static item => (Name: Encoding.UTF8.GetString(item.Key.AsSpan(1)), item.Value))
            .Where(item => MayReadKeyspace(context, item.Name))
            .Select(static item => Describe(item.Name, ListStore.DecodeKeyspace(item.Value)))
            .ToList();
        return Results.Json(new KeyspaceListJson { Keyspaces = all }, KvDbJsonContext.Default.KeyspaceListJson);
    }

    private static KeyspaceJson Describe(string name, KeyspaceInfo info)
        => new() { Name = name, CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(info.CreatedAtMs), Keys = info.Keys, Items = info.Items, Bytes = info.Bytes };

    // Lists the caller may not read are skipped, as GET /v1/keyspaces skips keyspaces: a page
    // may hold fewer than limit lists and still have a continuation. A caller who may read no
    // list of the keyspace is refused (403), whether it exists or not. Only a caller who may read
    // the whole keyspace learns that it does not exist (404); to others it is an empty page, as a
    // list that does not exist is, so the answer tells nothing of keyspaces outside their grant.
    private static async Task<IResult> ListListsAsync(string name, HttpContext context, KvService kv)
    {
        var accessPrefix = AccessKey(name, "");
        if (KeyAccess.DeniedAllOfRange(context, accessPrefix, KeyOrder.PrefixEnd(accessPrefix)) is { } denied)
            return denied;
        var limit = 100;
        if (context.Request.Query["limit"].ToString() is { Length: > 0 } limitText
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
            return Problems.BadRequest($"limit must be a whole number from 1 to {MaxLimit} (default 100).");
        var prefix = ListStore.KeyspacePrefix(ListStore.Metas, name);
        var start = prefix;
        if (context.Request.Query["continuation"].ToString() is { Length: > 0 } token)
        {
            byte[] after;
            try
            {
                after = Base64Url.DecodeFromChars(token);
            }
            catch (FormatException)
            {
                return Problems.BadRequest("continuation is not a token of an earlier page.");
            }

            start = [.. prefix, .. after, 0];
        }

        using var view = await kv.OpenViewAsync(ReadConsistency.Linearizable, context.RequestAborted);
        if (ListReader.Keyspace(view, name) is null && MayReadKeyspace(context, name))
            return KeyspaceNotFound(name);
        var lists = new List<ListInfoJson>();
        byte[]? last = null;
        var scanned = 0;
        foreach (var item in view.Scan(start, KeyOrder.PrefixEnd(prefix)))
        {
            if (scanned++ == limit)
                break;
            last = item.Key[prefix.Length..];
            var key = Encoding.UTF8.GetString(last);
            if (CallerAccess.MayRead(context, AccessKey(name, key)))
                lists.Add(Info(name, key, ListStore.DecodeMeta(item.Value)));
        }

        return Results.Json(
            new ListListJson { Keyspace = name, Lists = lists, Continuation = scanned > limit && last is not null ? Base64Url.EncodeToString(last) : null },
            KvDbJsonContext.Default.ListListJson);
    }

    private static ListInfoJson Info(string keyspace, string key, ListMeta meta) => new()
    {
        Keyspace = keyspace, Key = key, FirstOffset = meta.FirstOffset, LastOffset = meta.NextOffset - 1, Count = meta.Count, Bytes = meta.Bytes,
        LastNonce = meta.LastNonce is { } n ? ListNonce.Format(n) : null,
        FirstTimestamp = meta.FirstTimestampMs, LastTimestamp = meta.LastTimestampMs,
    };

    private static async Task<IResult> DescribeListAsync(string name, string? key, HttpContext context, KvService kv)
    {
        key ??= "";
        if (KeyAccess.Denied(context, Access.Read, AccessKey(name, key)) is { } denied)
            return denied;
        using var view = await kv.OpenViewAsync(ReadConsistency.Linearizable, context.RequestAborted);
        if (ListReader.Keyspace(view, name) is null)
            return KeyspaceNotFound(name);
        if (ListReader.Meta(view, name, Encoding.UTF8.GetBytes(key)) is not { } meta)
            return Problems.Of(StatusCodes.Status404NotFound, "List not found", $"Keyspace '{ValueResults.Shorten(name)}' has no list '{ValueResults.Shorten(key)}'.");
        return Results.Json(Info(name, key, meta), KvDbJsonContext.Default.ListInfoJson);
    }

    private static async Task<IResult> AppendAsync(string keyspace, string? key, HttpContext context, KvService kv, IOptions<ValueLimits> limits)
    {
        key ??= "";
        if (KeyAccess.Denied(context, Access.Write, AccessKey(keyspace, key)) is { } denied)
            return denied;
        if (key.Length == 0 || Encoding.UTF8.GetByteCount(key) > KeyPath.MaxKeyBytes)
            return Problems.BadRequest($"A list key is 1 to {KeyPath.MaxKeyBytes} bytes.");
        var limit = limits.Value.MaxValueBytes + (64 << 10);
        var body = await RequestBody.ReadAsync(context, 2 * limit);
        if (body is null)
            return TooLarge(limits);
        var ndjson = context.Request.ContentType?.StartsWith("application/x-ndjson", StringComparison.OrdinalIgnoreCase) is true;
        var (items, error) = ListItemsRequest.Parse(body, ndjson);
        if (items is null)
            return Problems.BadRequest(error!);
        var (conditions, conditionError) = WriteConditions.FromRequest(context.Request, CallerAccess.NameOf(context));
        if (conditions is null)
            return Problems.BadRequest(conditionError!);
        if (conditions.Condition is not null)
            return Problems.BadRequest("An append takes no If-Match or If-None-Match; give items nonces to skip duplicates.");
        var mayRead = CallerAccess.MayRead(context, AccessKey(keyspace, key));
        if (!mayRead && Array.Exists(items, static i => i.Nonce is not null || i.TimestampMs is not null) && KeyAccess.Denied(context, Access.Read, AccessKey(keyspace, key)) is { } blind)
            return blind;
        var command = new AppendCommand { Keyspace = keyspace, Key = Encoding.UTF8.GetBytes(key), Items = items, IdempotencyKey = conditions.IdempotencyKey };
        if (command.ApproximateSize > limit)
            return TooLarge(limits);

        var result = await kv.WriteAsync(command, context.RequestAborted);
        if (result.Replayed)
            context.Response.Headers[ValueResults.ReplayedHeader] = "true";
        switch (result.Outcome)
        {
            case CommandOutcome.IdempotencyKeyReused:
                return ValueResults.Written(context, key, result);
            case CommandOutcome.NotFound:
                return KeyspaceNotFound(keyspace);
            case CommandOutcome.PreconditionFailed:
                return Problems.Of(StatusCodes.Status400BadRequest, "Timestamp out of order",
                    $"An item's timestamp is below the list's last timestamp ({result.Revision}) or the item before it; nothing was appended.");
        }

        var reply = AppendReply.Decode(result.Reply!);
        ListInstruments.ListItemsAppended.Add(reply.Appended);
        return Results.Json(
            mayRead
                ? new ListAppendedJson { FirstOffset = reply.FirstOffset, LastOffset = reply.LastOffset, Appended = reply.Appended, Skipped = reply.Skipped, Revision = result.Revision }
                : new ListAppendedJson { FirstOffset = -1, LastOffset = -1, Appended = reply.Appended, Skipped = reply.Skipped, Revision = result.Revision },
            KvDbJsonContext.Default.ListAppendedJson);
    }

    private static async Task ReadAsync(string keyspace, string? key, HttpContext context, KvService kv, LocalState state, ListFeed feed, StreamAccess streams)
    {
        key ??= "";
        if (KeyAccess.Denied(context, Access.Read, AccessKey(keyspace, key)) is { } denied)
        {
            await denied.ExecuteAsync(context);
            return;
        }

        var (request, error) = ListPageRequest.Parse(context.Request);
        if (request is null)
        {
            await Problems.BadRequest(error!).ExecuteAsync(context);
            return;
        }

        var keyBytes = Encoding.UTF8.GetBytes(key);
        var signal = request.Follow ? feed.Appended(keyspace, keyBytes) : Task.CompletedTask;
        ListPage page;
        using (var view = await kv.OpenViewAsync(request.Consistency, context.RequestAborted))
            page = ListReader.Read(view, keyspace, keyBytes, request.Forward, request.Limit, request.Seek, request.At, request.Nonce);

        if (!request.Follow)
        {
            await Results.Bytes(PageJson(keyspace, key, page, request.Forward), "application/json").ExecuteAsync(context);
            return;
        }

        using var access = streams.Watch(context, Access.Read, AccessKey(keyspace, key), null, singleKey: true);
        await FollowAsync(context, keyspace, keyBytes, page, request, state, feed, signal, access);
    }

    // Sends the page's items, then every item appended after them, one JSON line each; ends with
    // an error line once the caller has lost access.
    private static async Task FollowAsync(HttpContext context, string keyspace, byte[] key, ListPage page, ListPageRequest request, LocalState state, ListFeed feed, Task signal, AccessWatch access)
    {
        var token = context.RequestAborted;
        context.Response.ContentType = "application/x-ndjson";
        context.Response.Headers.CacheControl = "no-cache";
        // Kestrel's StartAsync only buffers the headers: without the flush, a follower at the tail
        // of a quiet list saw no answer at all and its client gave the member up as unresponsive.
        await context.Response.StartAsync(token);
        await context.Response.Body.FlushAsync(token);
        var next = page.Items.Count > 0 ? page.Items[^1].Offset + 1 : request.Seek is ListSeek.Offset ? request.At : page.Meta?.NextOffset ?? 0;
        var items = page.Items;
        try
        {
            while (!token.IsCancellationRequested)
            {
                // Checked after the items were read: an append applied after the change that took access is never written.
                if (access.Check() is { } loss)
                {
                    await WriteLineAsync(context, loss.ToEventJson(), token);
                    return;
                }

                await WriteLinesAsync(context, items, token);
                ListPage more;
                using (var view = state.Store.OpenView())
                    more = ListReader.Read(view, keyspace, key, forward: true, MaxLimit, ListSeek.Offset, next);
                items = more.Items;
                if (items.Count > 0)
                {
                    next = items[^1].Offset + 1;
                    continue;
                }

                await signal.WaitAsync(TimeSpan.FromSeconds(15), access.Token).ContinueWith(static _ => { }, TaskScheduler.Default);
                signal = feed.Appended(keyspace, key);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    private static async Task WriteLineAsync(HttpContext context, byte[] line, CancellationToken token)
    {
        await context.Response.Body.WriteAsync(line, token);
        await context.Response.Body.WriteAsync("\n"u8.ToArray(), token);
        await context.Response.Body.FlushAsync(token);
    }

    private static async Task WriteLinesAsync(HttpContext context, IReadOnlyList<ListItem> items, CancellationToken token)
    {
        if (items.Count == 0)
            return;
        using var buffer = new MemoryStream();
        foreach (var item in items)
        {
            buffer.Write(ContractJson.ToUtf8Bytes(Item(item), KvDbJsonContext.Default.ListItemJson));
            buffer.WriteByte((byte)'\n');
        }

        await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), token);
        await context.Response.Body.FlushAsync(token);
    }

    private static byte[] PageJson(string keyspace, string key, ListPage page, bool forward) => ContractJson.ToUtf8Bytes(
        new ListPageJson
        {
            Keyspace = keyspace,
            Key = key,
            Items = [.. page.Items.Select(Item)],
            Continuation = page.Next is { } next ? (forward ? "f" : "b") + next.ToString(CultureInfo.InvariantCulture) : null,
            Stats = new ListStatsJson
            {
                Returned = page.Items.Count,
                Count = page.Meta?.Count ?? 0,
                FirstOffset = page.Meta?.FirstOffset ?? 0,
                NextOffset = page.Meta?.NextOffset ?? 0,
                Bytes = page.Meta?.Bytes ?? 0,
            },
        },
        KvDbJsonContext.Default.ListPageJson);

    private static ListItemJson Item(ListItem item)
    {
        var value = ValueJson.Fields(item.Value, ValueKind.Raw);
        return new ListItemJson
        {
            Offset = item.Offset,
            Nonce = item.Nonce is { } nonce ? Nonce.Of(nonce) : null,
            Timestamp = item.TimestampMs,
            Value = value.Text,
            ValueBase64 = value.Base64,
        };
    }

    /// <summary>A 16-byte big-endian nonce as decimal text.</summary>
    private static IResult TooLarge(IOptions<ValueLimits> limits)
        => Problems.Of(StatusCodes.Status413PayloadTooLarge, "Append too large", $"An append's items may take {limits.Value.MaxValueBytes} bytes (--max-value-bytes) plus 64 KiB.");

    private static IResult KeyspaceNotFound(string name)
        => Problems.Of(StatusCodes.Status404NotFound, "Keyspace not found", $"Keyspace '{ValueResults.Shorten(name)}' does not exist: create it with PUT /v1/keyspaces/{{name}}.");
}
