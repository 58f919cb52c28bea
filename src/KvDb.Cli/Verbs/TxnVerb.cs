// kvdb txn [FILE]: commits a transaction written as POST /v1/txn's JSON, read from FILE or
// standard input. Exit 0 when its comparisons held (Then ran), 1 when they did not (Else ran).
// Text prints "SUCCEEDED REVISION" or "FAILED REVISION", then one line per result; json the
// same document kvdb answers.
using System.CommandLine;
using System.Globalization;
using KvDb.Client;
using KvDb.Contracts;

namespace KvDb.Cli.Verbs;

/// <summary><c>kvdb txn</c>.</summary>
internal sealed class TxnVerb : CliVerb
{
    private readonly Argument<string?> file = Optional("FILE", "The transaction's JSON; without it (or with -), standard input.");

    public override string Path => "txn";

    public override string Summary => "Compare, then write many keys at one revision (a transaction in JSON).";

    public override IReadOnlyList<string> Usage => ["txn [FILE] [flags]", "txn < transfer.json", "txn transfer.json -o json"];

    public override IReadOnlyList<string> Notes =>
    [
        "The JSON is POST /v1/txn's (see docs/api/transactions.md):",
        "  {\"if\": [{\"key\": \"acct/a\", \"target\": \"revision\", \"op\": \"==\", \"value\": 41}],\n   \"then\": [{\"put\": {\"key\": \"acct/a\", \"value\": \"70\"}}, {\"put\": {\"key\": \"acct/b\", \"value\": \"30\"}}],\n   \"else\": [{\"get\": {\"key\": \"acct/a\"}}]}",
        "Text prints SUCCEEDED or FAILED and the revision, then one line per result: \"put REVISION\", \"delete N\", \"get KEY VALUE\" (or \"get -\" for a missing key), \"range N\" followed by a \"KEY VALUE\" line per key. Exit 0 when the comparisons held, 1 when they did not.",
    ];

    public override void Define(Command command) => command.Add(file);

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        var path = result.GetValue(file);
        string text;
        try
        {
            text = path is null or "-" ? await context.Console.In.ReadToEndAsync(token) : await File.ReadAllTextAsync(path, token);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return context.Fail(ExitCodes.Usage, $"cannot read '{path}': {e.Message}");
        }

        var transaction = TxnJson.Read(context.Client.Transaction(), text);
        var outcome = await transaction.CommitAsync(token);
        if (context.Json)
            context.WriteJson(json => ContractJson.Write(json, ToContract(outcome), KvDbJsonContext.Default.TxnResponseJson));
        else
            PrintText(context, outcome);
        return outcome.Succeeded ? ExitCodes.Ok : ExitCodes.NotFoundOrFailed;
    }

    private static void PrintText(CliContext context, TxnResult outcome)
    {
        var revision = outcome.Revision.ToString(CultureInfo.InvariantCulture);
        context.Out.WriteLine((outcome.Succeeded ? "SUCCEEDED " : "FAILED ") + revision);
        foreach (var result in outcome.Results)
        {
            switch (result)
            {
                case TxnPutResult put:
                    context.Out.WriteLine("put " + put.Revision.ToString(CultureInfo.InvariantCulture));
                    break;
                case TxnDeleteResult delete:
                    context.Out.WriteLine("delete " + delete.Deleted.ToString(CultureInfo.InvariantCulture));
                    break;
                case TxnGetResult { Entry: { } entry }:
                    context.Out.WriteLine($"get {entry.Key} {CliContext.Text(entry.Value)}");
                    break;
                case TxnGetResult:
                    context.Out.WriteLine("get -");
                    break;
                case TxnRangeResult range:
                    context.Out.WriteLine("range " + range.Items.Count.ToString(CultureInfo.InvariantCulture) + (range.More ? " (more)" : ""));
                    foreach (var entry in range.Items)
                        context.Out.WriteLine($"{entry.Key} {CliContext.Text(entry.Value)}");
                    break;
            }
        }

        context.Out.Flush();
    }

    // The same document kvdb answers (KvDb.Contracts' TxnResponseJson), values as the client read them.
    private static TxnResponseJson ToContract(TxnResult outcome) => new()
    {
        Succeeded = outcome.Succeeded,
        Revision = outcome.Revision,
        Results = [.. outcome.Results.Select(static result => result switch
        {
            TxnPutResult put => TxnResultJson.OfPut(put.Revision),
            TxnDeleteResult delete => TxnResultJson.OfDelete(delete.Revision, delete.Deleted),
            TxnGetResult get => TxnResultJson.OfGet(get.Entry is { } entry ? Item(entry) : null),
            _ => TxnResultJson.OfRange([.. ((TxnRangeResult)result).Items.Select(Item)], ((TxnRangeResult)result).More),
        })],
    };

    private static TxnItemJson Item(TxnEntry entry)
    {
        var (text, base64) = CliContext.ValueFields(entry.Value);
        return new TxnItemJson { Key = entry.Key, Value = text, ValueBase64 = base64, Revision = entry.Revision, CreateRevision = entry.CreateRevision, Version = entry.Version };
    }
}
