// kvdb list append|read|ls|info and kvdb list keyspace create|delete|get: kvdb's appendable
// lists from the command line. Invariants: append prints the offset given (or that the item was
// skipped as a duplicate, exit 0: a replay is not an error); read prints "OFFSET VALUE" per item,
// paging by itself, and with --follow keeps printing new items until Ctrl+C (exit 0); ls prints
// one line per list the caller may read, paging by itself; a keyspace or list that does not
// exist exits 1.
using System.CommandLine;
using System.Globalization;
using System.Net;
using KvDb.Client;
using KvDb.Contracts;
using KvDb.Flags;

namespace KvDb.Cli.Verbs;

/// <summary><c>kvdb list append KEYSPACE KEY VALUE</c>.</summary>
internal sealed class ListAppendVerb : CliVerb
{
    private readonly Argument<string> keyspace = Required("KEYSPACE", "The keyspace (kvdb list keyspace create NAME).");
    private readonly Argument<string> key = Required("KEY", "The list's key.");
    private readonly Argument<string> value = Required("VALUE", "The item's value (text).");
    private readonly Flag<UInt128?> nonce = new("nonce", "N", "none", "The producer nonce, 0 to 2^128-1: an item whose nonce is not above the list's last is skipped as a duplicate.", static text =>
        UInt128.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new FormatException($"--nonce '{text}' must be a whole number from 0 to 2^128-1"), defaultValue: static () => null);

    public override string Path => "list append";

    public override string Summary => "Append an item to a list and print its offset.";

    public override IReadOnlyList<string> Usage => ["list append KEYSPACE KEY VALUE [flags]", "list append events orders \"order 1\" --nonce 1"];

    public override IReadOnlyList<string> Notes => ["Prints the item's offset, or \"skipped\" when its nonce was not above the list's last (a duplicate; exit 0). -o json: {\"firstOffset\",\"lastOffset\",\"appended\",\"skipped\",\"revision\"}. A keyspace that does not exist exits 1."];

    public override void Define(Command command)
    {
        command.Add(keyspace);
        command.Add(key);
        command.Add(value);
        command.Add(nonce);
    }

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        var appended = await context.Client.AppendAsync(result.GetRequiredValue(keyspace), result.GetRequiredValue(key), new ListAppendItem(result.GetRequiredValue(value), result.GetValue(nonce)), token);
        if (context.Json)
        {
            var answer = new ListAppendedJson { FirstOffset = appended.FirstOffset, LastOffset = appended.LastOffset, Appended = appended.Appended, Skipped = appended.Skipped, Revision = appended.Revision };
            context.WriteJson(json => ContractJson.Write(json, answer, KvDbJsonContext.Default.ListAppendedJson));
        }
        else
        {
            context.WriteLine(appended.Appended > 0 ? appended.FirstOffset.ToString(CultureInfo.InvariantCulture) : "skipped");
        }

        return ExitCodes.Ok;
    }
}

/// <summary><c>kvdb list read KEYSPACE KEY</c>.</summary>
internal sealed class ListReadVerb : CliVerb
{
    private readonly Argument<string> keyspace = Required("KEYSPACE", "The keyspace.");
    private readonly Argument<string> key = Required("KEY", "The list's key.");
    private readonly Option<bool> backward = Switch("backward", "Newest first.");
    private readonly Flag<int?> limit = new("limit", "N", "all", "Print at most N items.", static text => WholeNumber.Between("limit", 1, int.MaxValue)(text), defaultValue: static () => null);
    private readonly Flag<long?> from = new("from", "OFFSET", "the start", "Start at this offset.", static text => (long?)WholeNumber.Between("from", 0, int.MaxValue)(text), defaultValue: static () => null);
    private readonly Option<bool> follow = Switch("follow", "After the items, print each new item as it is appended, until Ctrl+C.");

    public override string Path => "list read";

    public override string Summary => "Print a list's items (--follow: and new ones as they come).";

    public override IReadOnlyList<string> Usage => ["list read KEYSPACE KEY [flags]", "list read events orders --backward --limit 10", "list read events orders --from 100 --follow"];

    public override IReadOnlyList<string> Notes => ["Text prints \"OFFSET VALUE\" per item (-o json: one {\"offset\",\"nonce\",\"timestamp\",\"value\"|\"valueBase64\"} per line). A list that does not exist prints nothing. --follow reads forward only, resumes on another member if its member goes, and ends with exit 0 on Ctrl+C."];

    public override void Define(Command command)
    {
        command.Add(keyspace);
        command.Add(key);
        command.Add(backward);
        command.Add(limit);
        command.Add(from);
        command.Add(follow);
    }

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        var space = result.GetRequiredValue(keyspace);
        var list = result.GetRequiredValue(key);
        var most = result.GetValue(limit);
        if (result.GetValue(follow))
        {
            if (result.GetValue(backward))
                return context.Fail(ExitCodes.Usage, "--follow reads forward: leave out --backward");
            var printed = 0;
            try
            {
                await foreach (var item in context.Client.FollowListAsync(space, list, result.GetValue(from) ?? 0, token))
                {
                    Print(context, item);
                    if (++printed == most)
                        break;
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }

            return ExitCodes.Ok;
        }

        var options = new ListReadOptions
        {
            Order = result.GetValue(backward) ? ListOrder.Backward : ListOrder.Forward,
            Limit = most,
            PageSize = Math.Min(most ?? KvClient.MaxListPageSize, KvClient.MaxListPageSize),
            StartOffset = result.GetValue(from),
        };
        await foreach (var item in context.Client.ReadListAsync(space, list, options, token))
            Print(context, item);
        return ExitCodes.Ok;
    }

    private static void Print(CliContext context, ListItem item)
    {
        if (!context.Json)
        {
            context.WriteLine(item.Offset.ToString(CultureInfo.InvariantCulture) + " " + CliContext.Text(item.Value));
            return;
        }

        // Hand-written on purpose: kvdb list read's -o json line is the CLI's own format, not the
        // API's ListItemJson (its nonce is a string where the API writes a number), and must not change.
        context.WriteJson(json =>
        {
            json.WriteStartObject();
            json.WriteNumber("offset", item.Offset);
            if (item.Nonce is { } n)
                json.WriteString("nonce", n.ToString(CultureInfo.InvariantCulture));
            else
                json.WriteNull("nonce");
            json.WriteNumber("timestamp", item.TimestampMs);
            CliContext.WriteValue(json, "value", item.Value);
            json.WriteEndObject();
        });
    }
}

/// <summary><c>kvdb list ls KEYSPACE</c> and <c>kvdb list info KEYSPACE KEY</c>.</summary>
internal sealed class ListInfoVerb(bool all) : CliVerb
{
    private readonly Argument<string> keyspace = Required("KEYSPACE", "The keyspace.");
    private readonly Argument<string> key = Required("KEY", "The list's key.");

    public override string Path => all ? "list ls" : "list info";

    public override string Summary => all
        ? "Print a keyspace's lists (those you may read) with their offsets, items and bytes."
        : "Print one list's offsets, items, bytes, last nonce and timestamps.";

    public override IReadOnlyList<string> Usage => all ? ["list ls KEYSPACE [flags]", "list ls events"] : ["list info KEYSPACE KEY [flags]", "list info events orders"];

    public override IReadOnlyList<string> Notes => [(all
        ? "Text prints \"KEY offsets FIRST..LAST items N bytes B\" per list, in key order; -o json one object per line"
        : "Text prints \"KEY offsets FIRST..LAST items N bytes B nonce NONCE first TIME last TIME\"; -o json one object")
        + " {\"keyspace\",\"key\",\"firstOffset\",\"lastOffset\",\"count\",\"bytes\",\"lastNonce\",\"firstTimestamp\",\"lastTimestamp\"} (timestamps in Unix ms). "
        + (all ? "A keyspace that does not exist exits 1; one whose lists you may not read exits with the 403." : "A keyspace or list that does not exist exits 1.")];

    public override void Define(Command command)
    {
        command.Add(keyspace);
        if (!all)
            command.Add(key);
    }

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        var space = result.GetRequiredValue(keyspace);
        if (!all)
        {
            var name = result.GetRequiredValue(key);
            if (await context.Client.GetListInfoAsync(space, name, token) is not { } one)
                return context.Fail(ExitCodes.NotFoundOrFailed, $"list {name} of keyspace {space} not found");
            Print(context, one, details: true);
            return ExitCodes.Ok;
        }

        try
        {
            await foreach (var list in context.Client.ListListsAsync(space, KvClient.MaxListPageSize, token))
                Print(context, list, details: false);
        }
        catch (KvException e) when (e.StatusCode is HttpStatusCode.NotFound)
        {
            return context.Fail(ExitCodes.NotFoundOrFailed, $"keyspace {space} not found");
        }

        return ExitCodes.Ok;
    }

    private static void Print(CliContext context, KvListInfo list, bool details)
    {
        if (context.Json)
        {
            var answer = new ListInfoJson
            {
                Keyspace = list.Keyspace, Key = list.Key, FirstOffset = list.FirstOffset, LastOffset = list.LastOffset, Count = list.Count, Bytes = list.Bytes,
                LastNonce = list.LastNonce?.ToString(CultureInfo.InvariantCulture),
                FirstTimestamp = list.FirstTimestamp.ToUnixTimeMilliseconds(), LastTimestamp = list.LastTimestamp.ToUnixTimeMilliseconds(),
            };
            context.WriteJson(json => ContractJson.Write(json, answer, KvDbJsonContext.Default.ListInfoJson));
            return;
        }

        var line = string.Create(CultureInfo.InvariantCulture, $"{list.Key} offsets {list.FirstOffset}..{list.LastOffset} items {list.Count} bytes {list.Bytes}");
        if (details)
            line += string.Create(CultureInfo.InvariantCulture, $" nonce {list.LastNonce?.ToString(CultureInfo.InvariantCulture) ?? "none"} first {list.FirstTimestamp:O} last {list.LastTimestamp:O}");
        context.WriteLine(line);
    }
}

/// <summary><c>kvdb list keyspace create|delete|get NAME</c>.</summary>
internal sealed class ListKeyspaceVerb(string action) : CliVerb
{
    private readonly Argument<string> name = Required("NAME", "The keyspace's name.");

    public override string Path => "list keyspace " + action;

    public override string Summary => action switch
    {
        "create" => "Create a keyspace for lists.",
        "delete" => "Delete a keyspace and every list in it.",
        _ => "Show a keyspace: when it was created, its lists, items and bytes.",
    };

    public override IReadOnlyList<string> Usage => [$"list keyspace {action} NAME [flags]", $"list keyspace {action} events"];

    public override IReadOnlyList<string> Notes => [action switch
    {
        "create" => "Exit 1 when it already exists. Needs root when auth is on.",
        "delete" => "Exit 1 when it does not exist. Needs root when auth is on.",
        _ => "Text prints \"NAME created CREATED keys K items I bytes B\"; -o json {\"name\",\"createdAt\",\"keys\",\"items\",\"bytes\"}. Exit 1 when it does not exist.",
    }];

    public override void Define(Command command) => command.Add(name);

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        var keyspace = result.GetRequiredValue(name);
        switch (action)
        {
            case "create":
                return await context.Client.CreateKeyspaceAsync(keyspace, token) ? ExitCodes.Ok : context.Fail(ExitCodes.NotFoundOrFailed, $"keyspace {keyspace} already exists");
            case "delete":
                return await context.Client.DeleteKeyspaceAsync(keyspace, token) ? ExitCodes.Ok : context.Fail(ExitCodes.NotFoundOrFailed, $"keyspace {keyspace} not found");
        }

        if (await context.Client.GetKeyspaceAsync(keyspace, token) is not { } info)
            return context.Fail(ExitCodes.NotFoundOrFailed, $"keyspace {keyspace} not found");
        if (context.Json)
        {
            var keyspaceJson = new KeyspaceJson { Name = info.Name, CreatedAt = info.CreatedAt, Keys = info.Keys, Items = info.Items, Bytes = info.Bytes };
            context.WriteJson(json => ContractJson.Write(json, keyspaceJson, KvDbJsonContext.Default.KeyspaceJson));
        }
        else
        {
            context.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{info.Name} created {info.CreatedAt:O} keys {info.Keys} items {info.Items} bytes {info.Bytes}"));
        }

        return ExitCodes.Ok;
    }
}
