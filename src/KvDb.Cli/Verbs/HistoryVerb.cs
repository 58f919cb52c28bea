// kvdb history KEY: a key's changes within the cluster's change history (--watch-history),
// newest first, paging by itself. Text: one line per change, "REVISION TIMESTAMP put VALUE" (and
// "lease N" when the put attached one) or "REVISION TIMESTAMP delete"; json: GET /v1/history's
// page shape with every change listed, "before" where an older page would continue (null when
// the history holds no older change).
using System.CommandLine;
using System.Globalization;
using KvDb.Client;
using KvDb.Contracts;
using KvDb.Flags;

namespace KvDb.Cli.Verbs;

/// <summary><c>kvdb history</c>.</summary>
internal sealed class HistoryVerb : CliVerb
{
    private readonly Argument<string> key = Required("KEY", "The key.");
    private readonly Flag<int?> limit = new("limit", "N", "all", "List at most N changes (a revision's changes are never split).", static text => WholeNumber.Between("limit", 1, int.MaxValue)(text), defaultValue: static () => null);
    private readonly Flag<long?> before = new("before", "REVISION", "now", "List the changes before this revision.", Values.Revision("--before"), defaultValue: static () => null);
    private readonly Flag<ReadConsistency> consistency = Values.ConsistencyFlag();

    public override string Path => "history";

    public override string Summary => "List a key's changes, newest first, within the cluster's change history.";

    public override IReadOnlyList<string> Usage => ["history KEY [flags]", "history config/db", "history config/db --limit 5 -o json", "history config/db --before 1042"];

    public override IReadOnlyList<string> Notes =>
    [
        "Text prints a line per change, newest first: \"REVISION TIMESTAMP put VALUE\" (then \"lease N\" when the put attached one) or \"REVISION TIMESTAMP delete\"; TIMESTAMP is when the leader proposed the change (UTC). The history reaches back --watch-history (15 minutes and 100,000 revisions by default): older changes are not listed. Read a value of the past with kvdb get KEY --rev REVISION.",
    ];

    public override void Define(Command command)
    {
        command.Add(key);
        command.Add(limit);
        command.Add(before);
        command.Add(consistency);
    }

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        var name = result.GetRequiredValue(key);
        var most = result.GetValue(limit) ?? int.MaxValue;
        var changes = new List<KvChange>();
        long? next = result.GetValue(before);
        KvHistoryPage page;
        do
        {
            page = await context.Client.GetHistoryAsync(name, next, Math.Min(most - changes.Count, KvClient.MaxPageSize), result.GetValue(consistency), token);
            changes.AddRange(page.Changes);
            next = page.Before;
        }
        while (next is not null && changes.Count < most);

        if (context.Json)
        {
            var document = new KeyHistoryJson
            {
                Key = name,
                Items = [.. changes.Select(ToContract)],
                Before = next,
                Revision = page.Revision,
                CompactRevision = page.CompactRevision,
            };
            context.WriteJson(json => ContractJson.Write(json, document, KvDbJsonContext.Default.KeyHistoryJson));
            return ExitCodes.Ok;
        }

        foreach (var change in changes)
        {
            var line = change.Revision.ToString(CultureInfo.InvariantCulture) + " " + change.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            line += change.Type is WatchEventType.Delete ? " delete" : " put " + CliContext.Text(change.Value ?? []);
            if (change.Lease is { } lease)
                line += " lease " + lease.ToString(CultureInfo.InvariantCulture);
            context.Out.WriteLine(line);
        }

        await context.Out.FlushAsync(token);
        return ExitCodes.Ok;
    }

    private static KeyChangeJson ToContract(KvChange change)
    {
        var (text, bytes) = change.Value is { } value ? CliContext.ValueFields(value) : default;
        return new KeyChangeJson
        {
            Revision = change.Revision,
            Operation = change.Type is WatchEventType.Delete ? WatchEventTypes.Delete : WatchEventTypes.Put,
            Value = text,
            ValueBase64 = bytes,
            Typed = change.IsTyped ? true : null,
            Lease = change.Lease,
            Timestamp = change.Timestamp.ToUnixTimeMilliseconds(),
        };
    }
}
