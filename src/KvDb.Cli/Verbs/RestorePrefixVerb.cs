// kvdb restore-prefix PREFIX --rev R: writes back the values the keys of PREFIX had right after
// revision R, in one transaction.
// Invariants:
//  - The plan compares two consistent states: the prefix at R and the prefix now (read at one
//    revision N, every page at N). A key that differs is put back (its value at R) or deleted
//    (absent at R); keys that are equal are left alone.
//  - The transaction is guarded by the whole prefix as the plan saw it at N: "every key of PREFIX
//    was last written at or before N" and "PREFIX holds as many keys as at N", which together
//    hold exactly when the prefix is as it was at N (a put since leaves a later revision, a
//    delete one key fewer). So any write to the prefix between the read and the commit, to a
//    key the plan touches or not, refuses the whole restore (exit 1, naming a key written) and
//    nothing is written. These range comparisons need every member to know them (409 before).
//  - --dry-run prints the plan and writes nothing. Typed values are not restored (the client
//    writes raw values): a plan that would need one exits 2 before writing.
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using KvDb.Client;

namespace KvDb.Cli.Verbs;

/// <summary><c>kvdb restore-prefix</c>.</summary>
internal sealed class RestorePrefixVerb : CliVerb
{
    private readonly Argument<string> prefix = Required("PREFIX", "Restore the keys starting with it (an empty string: every key).");
    private readonly KvDb.Flags.Flag<long?> revision = Values.RevisionFlag("The revision whose values to write back (within the cluster's --watch-history). Required.");
    private readonly Option<bool> dryRun = Switch("dry-run", "Print what would change and write nothing.");

    public override string Path => "restore-prefix";

    public override string Summary => "Write back the values a prefix had at a past revision, in one guarded transaction.";

    public override IReadOnlyList<string> Usage => ["restore-prefix PREFIX --rev REVISION [flags]", "restore-prefix config/ --rev 1042 --dry-run", "restore-prefix config/ --rev 1042"];

    public override IReadOnlyList<string> Notes =>
    [
        "Reads PREFIX at --rev and as it is now, then puts back every key whose value differs and deletes every key that did not exist then, in one transaction that holds only if no key of PREFIX was written or deleted since it was read; otherwise nothing is written and it exits 1 saying \"refused: someone wrote KEY in between\". Text prints a line per change (\"put KEY\" or \"delete KEY\"), then \"restored N keys at revision REVISION\" (--dry-run: \"would restore N keys\"). The transaction is limited by the cluster's --max-txn-ops: restore a narrower prefix when it is too big.",
    ];

    public override void Define(Command command)
    {
        command.Add(prefix);
        command.Add(revision);
        command.Add(dryRun);
    }

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        var from = result.GetRequiredValue(prefix);
        if (result.GetValue(revision) is not { } at)
            return context.Fail(ExitCodes.Usage, "restore-prefix needs --rev REVISION: the revision whose values to write back");

        var client = context.Client;
        var past = new Dictionary<string, KvEntry>(StringComparer.Ordinal);
        await foreach (var entry in client.RangeAtRevisionAsync(from, at, ReadConsistency.Linearizable, KvClient.MaxPageSize, token))
            past[entry.Key] = entry;
        var (now, current) = await ReadNowAsync(client, from, token);

        var plan = new List<(string Key, KvEntry? Then, KvEntry? Now)>();
        foreach (var (key, then) in past)
        {
            now.TryGetValue(key, out var present);
            if (present is null || present.IsTyped != then.IsTyped || !present.Value.AsSpan().SequenceEqual(then.Value))
                plan.Add((key, then, present));
        }

        foreach (var (key, present) in now)
        {
            if (!past.ContainsKey(key))
                plan.Add((key, null, present));
        }

        plan.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        if (plan.Find(static change => change.Then is { IsTyped: true }) is { Then: not null } typed)
            return context.Fail(ExitCodes.Usage, $"'{typed.Key}' held a typed value at revision {at}; restore-prefix writes raw values only, so nothing was written");

        var dry = result.GetValue(dryRun);
        long? applied = null;
        if (!dry && plan.Count > 0)
        {
            var guard = Compare.Prefix(from);
            var outcome = await client.Transaction()
                .If(guard.Revision < current + 1, guard.Count == now.Count)
                .Then([.. plan.Select(static change => change.Then is { } then ? Op.Put(change.Key, then.Value) : Op.Delete(change.Key))])
                .CommitAsync(token);
            if (!outcome.Succeeded)
            {
                var who = await WrittenSinceAsync(client, from, now, current, outcome.Revision, token) is { } key ? $"someone wrote '{key}'" : $"a key of '{from}' was written";
                return context.Fail(ExitCodes.NotFoundOrFailed, $"refused: {who} in between (after revision {current}, when the restore read '{from}'); nothing was written (run it again to plan from the new state)");
            }

            applied = outcome.Revision;
        }

        if (context.Json)
            context.WriteJson(json => WriteJson(json, from, at, current, plan, dry, applied));
        else
            WriteText(context, plan, dry, applied);
        return ExitCodes.Ok;
    }

    // The prefix now, every page at the revision of the first, so the plan compares two consistent states.
    private static async Task<(Dictionary<string, KvEntry> Keys, long Revision)> ReadNowAsync(KvClient client, string prefix, CancellationToken token)
    {
        var keys = new Dictionary<string, KvEntry>(StringComparer.Ordinal);
        var page = await client.ReadRangePageAsync(prefix, null, KvClient.MaxPageSize, ReadConsistency.Linearizable, token);
        var revision = page.Revision;
        while (true)
        {
            foreach (var entry in page.Items)
                keys[entry.Key] = entry;
            if (page.Continuation is not { } next)
                return (keys, revision);
            page = await client.ReadRangePageAtRevisionAsync(prefix, revision, next, KvClient.MaxPageSize, ReadConsistency.Linearizable, token);
        }
    }

    // A key of the prefix written (put or deleted) after `current`, as the refused transaction at
    // `refusedAt` saw the prefix; null when that can no longer be read (then the message is general).
    private static async Task<string?> WrittenSinceAsync(KvClient client, string prefix, Dictionary<string, KvEntry> now, long current, long refusedAt, CancellationToken token)
    {
        try
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            await foreach (var entry in client.RangeAtRevisionAsync(prefix, refusedAt, ReadConsistency.Linearizable, KvClient.MaxPageSize, token))
            {
                if (entry.Revision > current || !now.ContainsKey(entry.Key))
                    return entry.Key;
                seen.Add(entry.Key);
            }

            return now.Keys.Where(key => !seen.Contains(key)).Order(StringComparer.Ordinal).FirstOrDefault();
        }
        catch (KvException)
        {
            return null;
        }
    }

    private static void WriteText(CliContext context, List<(string Key, KvEntry? Then, KvEntry? Now)> plan, bool dry, long? applied)
    {
        foreach (var change in plan)
            context.Out.WriteLine((change.Then is null ? "delete " : "put ") + change.Key);
        var count = plan.Count.ToString(CultureInfo.InvariantCulture);
        context.Out.WriteLine(dry ? $"would restore {count} keys"
            : applied is { } revision ? $"restored {count} keys at revision {revision.ToString(CultureInfo.InvariantCulture)}"
            : "nothing to restore");
        context.Out.Flush();
    }

    // {"prefix", "revision", "readRevision", "changes": [{"key", "operation", "value" | "valueBase64", "currentRevision"}], "dryRun", "appliedRevision"}
    private static void WriteJson(Utf8JsonWriter json, string prefix, long at, long current, List<(string Key, KvEntry? Then, KvEntry? Now)> plan, bool dry, long? applied)
    {
        json.WriteStartObject();
        json.WriteString("prefix", prefix);
        json.WriteNumber("revision", at);
        json.WriteNumber("readRevision", current);
        json.WriteStartArray("changes");
        foreach (var (key, then, now) in plan)
        {
            json.WriteStartObject();
            json.WriteString("key", key);
            json.WriteString("operation", then is null ? "delete" : "put");
            if (then is not null)
                CliContext.WriteValue(json, "value", then.Value);
            if (now is not null)
                json.WriteNumber("currentRevision", now.Revision);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteBoolean("dryRun", dry);
        if (applied is { } revision)
            json.WriteNumber("appliedRevision", revision);
        else
            json.WriteNull("appliedRevision");
        json.WriteEndObject();
    }
}
