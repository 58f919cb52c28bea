// kvdb del KEY | kvdb del --prefix PREFIX: removes a key (optionally only at a revision), or
// every key of a prefix in one transaction. Prints the revision of the deletion (one key) or
// how many keys went (prefix). Exit 1 when nothing was deleted or the condition did not hold.
using System.CommandLine;
using KvDb.Client;
using KvDb.Flags;

namespace KvDb.Cli.Verbs;

/// <summary><c>kvdb del</c>.</summary>
internal sealed class DelVerb : CliVerb
{
    private readonly Argument<string?> key = Optional("KEY", "The key (or give --prefix).");
    private readonly Flag<string?> prefix = new("prefix", "PREFIX", "none", "Delete every key starting with PREFIX (not empty), in one log entry.", static text => text, defaultValue: static () => null);
    private readonly Flag<long?> ifRevision = new("if-revision", "R", "none", "Only if the key is at revision R.", Values.Positive("--if-revision"), defaultValue: static () => null);

    public override string Path => "del";

    public override string Summary => "Delete a key, or every key of a prefix.";

    public override IReadOnlyList<string> Usage => ["del KEY [flags]", "del --prefix PREFIX [flags]", "del config/old", "del --prefix tmp/"];

    public override IReadOnlyList<string> Notes => ["Prints the deletion's revision (with --prefix: how many keys were deleted). Nothing to delete exits 1. -o json: {\"revision\",\"deleted\"}."];

    public override void Define(Command command)
    {
        command.Add(key);
        command.Add(prefix);
        command.Add(ifRevision);
    }

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        var name = result.GetValue(key);
        var under = result.GetValue(prefix);
        if ((name is null) == (under is null))
            return context.Fail(ExitCodes.Usage, "give a KEY or --prefix PREFIX (see kvdb del --help)");
        if (under is not null)
        {
            if (under.Length == 0)
                return context.Fail(ExitCodes.Usage, "--prefix must not be empty (that would delete every key)");
            if (result.GetValue(ifRevision) is not null)
                return context.Fail(ExitCodes.Usage, "--if-revision is for one key, not --prefix");
            var deletion = await context.Client.Transaction().Then(Op.DeletePrefix(under)).CommitAsync(token);
            var deleted = ((TxnDeleteResult)deletion.Results[0]).Deleted;
            Print(context, deletion.Revision, deleted, deleted.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return deleted > 0 ? ExitCodes.Ok : context.Fail(ExitCodes.NotFoundOrFailed, $"no key starts with '{under}'");
        }

        var options = result.GetValue(ifRevision) is { } revision ? KvWriteOptions.When(WriteCondition.RevisionIs(revision)) : null;
        var at = await context.Client.DeleteAsync(name!, options, token);
        if (at is not { } gone)
            return context.Fail(ExitCodes.NotFoundOrFailed, $"key '{name}' not found");
        Print(context, gone, 1, gone.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return ExitCodes.Ok;
    }

    private static void Print(CliContext context, long revision, long deleted, string text)
    {
        if (!context.Json)
        {
            context.WriteLine(text);
            return;
        }

        context.WriteJson(json =>
        {
            json.WriteStartObject();
            json.WriteNumber("revision", revision);
            json.WriteNumber("deleted", deleted);
            json.WriteEndObject();
        });
    }
}
