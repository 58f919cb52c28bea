// kvdb range [PREFIX]: lists the keys starting with PREFIX (every key without it), in key order,
// paging by itself. Text: each key on a line, then its value on the next (--keys-only: keys
// only); json: {"items": [{"key","value"|"valueBase64","revision"}], "count"}. --rev R lists the
// keys as they were right after revision R (every page at R: one consistent state).
using System.CommandLine;
using KvDb.Client;
using KvDb.Flags;

namespace KvDb.Cli.Verbs;

/// <summary><c>kvdb range</c>.</summary>
internal sealed class RangeVerb : CliVerb
{
    private readonly Argument<string?> prefix = Optional("PREFIX", "List the keys starting with it; without it, every key.");
    private readonly Flag<int?> limit = new("limit", "N", "all", "List at most N keys.", static text => WholeNumber.Between("limit", 1, int.MaxValue)(text), defaultValue: static () => null);
    private readonly Option<bool> keysOnly = Switch("keys-only", "Print the keys without their values.");
    private readonly Flag<ReadConsistency> consistency = Values.ConsistencyFlag();
    private readonly Flag<long?> revision = Values.RevisionFlag("List the keys as they were right after this revision (within the cluster's --watch-history; older exits 1).");

    public override string Path => "range";

    public override string Summary => "List the keys of a prefix with their values.";

    public override IReadOnlyList<string> Usage => ["range [PREFIX] [flags]", "range user/", "range user/ --keys-only --limit 10", "range config/ -o json", "range config/ --rev 1042"];

    public override IReadOnlyList<string> Notes => ["Text prints each key on a line and its value on the next (--keys-only: the keys only). An empty range prints nothing and exits 0. Pages are read one after another: a key written meanwhile may or may not be listed (with --rev every page is read at that revision, so the list is one consistent state)."];

    public override void Define(Command command)
    {
        command.Add(prefix);
        command.Add(limit);
        command.Add(keysOnly);
        command.Add(consistency);
        command.Add(revision);
    }

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        var most = result.GetValue(limit) ?? int.MaxValue;
        var onlyKeys = result.GetValue(keysOnly);
        var entries = new List<KvEntry>();
        var pageSize = Math.Min(most, KvClient.MaxPageSize);
        var keys = result.GetValue(revision) is { } at
            ? context.Client.RangeAtRevisionAsync(result.GetValue(prefix) ?? "", at, result.GetValue(consistency), pageSize, token)
            : context.Client.RangeAsync(result.GetValue(prefix) ?? "", result.GetValue(consistency), pageSize, token);
        await foreach (var entry in keys)
        {
            if (context.Json)
            {
                entries.Add(entry);
            }
            else
            {
                context.Out.WriteLine(entry.Key);
                if (!onlyKeys)
                    context.Out.WriteLine(CliContext.Text(entry.Value));
            }

            if (--most == 0)
                break;
        }

        if (context.Json)
        {
            // Hand-written on purpose: {"items", "count"} is the CLI's own document (the API's page has
            // "continuation" and "revision") and -o json must not change.
            context.WriteJson(json =>
            {
                json.WriteStartObject();
                json.WriteStartArray("items");
                foreach (var entry in entries)
                {
                    json.WriteStartObject();
                    json.WriteString("key", entry.Key);
                    if (!onlyKeys)
                        CliContext.WriteValue(json, "value", entry.Value);
                    json.WriteNumber("revision", entry.Revision);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteNumber("count", entries.Count);
                json.WriteEndObject();
            });
        }

        await context.Out.FlushAsync(token);
        return ExitCodes.Ok;
    }
}
