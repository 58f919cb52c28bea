// kvdb get KEY: prints a key's value (text), or {"key","value"|"valueBase64","revision"} (json).
// Exit 1 when the key does not exist. --rev R reads it as it was right after revision R.
using System.CommandLine;
using KvDb.Client;
using KvDb.Contracts;
using KvDb.Flags;

namespace KvDb.Cli.Verbs;

/// <summary><c>kvdb get</c>.</summary>
internal sealed class GetVerb : CliVerb
{
    private readonly Argument<string> key = Required("KEY", "The key.");
    private readonly Flag<ReadConsistency> consistency = Values.ConsistencyFlag();
    private readonly Flag<long?> revision = Values.RevisionFlag("Print the value as it was right after this revision (within the cluster's --watch-history; older exits 1).");

    public override string Path => "get";

    public override string Summary => "Print a key's value.";

    public override IReadOnlyList<string> Usage => ["get KEY [flags]", "get config/db", "get config/db -o json --consistency local", "get config/db --rev 1042"];

    public override IReadOnlyList<string> Notes => ["Text prints the value and a newline (bytes that are not UTF-8 are replaced: use -o json, which gives them as valueBase64). A missing key prints nothing and exits 1 (with --rev: a key that did not exist then). The JSON's revision is the revision that wrote the value."];

    public override void Define(Command command)
    {
        command.Add(key);
        command.Add(consistency);
        command.Add(revision);
    }

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        var name = result.GetRequiredValue(key);
        var at = result.GetValue(revision);
        var entry = at is { } past
            ? await context.Client.GetAtRevisionAsync(name, past, result.GetValue(consistency), token)
            : await context.Client.GetAsync(name, result.GetValue(consistency), token);
        if (entry is null)
            return context.Fail(ExitCodes.NotFoundOrFailed, at is null ? $"key '{name}' not found" : $"key '{name}' did not exist at revision {at}");
        if (context.Json)
        {
            var (text, bytes) = CliContext.ValueFields(entry.Value);
            var item = new RangeItemJson { Key = entry.Key, Value = text, ValueBase64 = bytes, Revision = entry.Revision };
            context.WriteJson(json => ContractJson.Write(json, item, KvDbJsonContext.Default.RangeItemJson));
        }
        else
        {
            context.WriteLine(CliContext.Text(entry.Value));
        }

        return ExitCodes.Ok;
    }
}
