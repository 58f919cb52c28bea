// kvdb watch KEY | kvdb watch --prefix PREFIX: prints each change as it happens, until Ctrl+C
// (exit 0). Text: "REVISION put KEY VALUE" or "REVISION delete KEY", one line each; json: one
// object per line {"type","key","value"|"valueBase64","revision"} (with --prev: "prevValue",
// "prevRevision"). The client reconnects to another member by itself, without gap or duplicate.
using System.CommandLine;
using System.Globalization;
using KvDb.Client;
using KvDb.Contracts;
using KvDb.Flags;

namespace KvDb.Cli.Verbs;

/// <summary><c>kvdb watch</c>.</summary>
internal sealed class WatchVerb : CliVerb
{
    private readonly Argument<string?> key = Optional("KEY", "The key to watch (or give --prefix).");
    private readonly Flag<string?> prefix = new("prefix", "PREFIX", "none", "Watch every key starting with PREFIX (empty: every key).", static text => text, defaultValue: static () => null);
    private readonly Flag<long?> after = new("after", "REVISION", "now", "Print the changes after this revision (a range's or an earlier event's), then go on live.", text => long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : throw new FormatException($"--after '{text}' must be a revision (a whole number)"), defaultValue: static () => null);
    private readonly Option<bool> previous = Switch("prev", "Also give the value each change replaced or deleted (-o json).");

    public override string Path => "watch";

    public override string Summary => "Print changes to a key or a prefix as they happen.";

    public override IReadOnlyList<string> Usage => ["watch KEY [flags]", "watch --prefix PREFIX [flags]", "watch --prefix app/", "watch config/db --after 41 -o json"];

    public override IReadOnlyList<string> Notes => ["Runs until Ctrl+C (exit 0). Text prints \"REVISION put KEY VALUE\" or \"REVISION delete KEY\" per change; -o json one object per line. A revision the history no longer holds exits 1 (range the keys again and watch --after the range's revision)."];

    public override void Define(Command command)
    {
        command.Add(key);
        command.Add(prefix);
        command.Add(after);
        command.Add(previous);
    }

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        var name = result.GetValue(key);
        var under = result.GetValue(prefix);
        if ((name is null) == (under is null))
            return context.Fail(ExitCodes.Usage, "give a KEY or --prefix PREFIX (see kvdb watch --help)");
        var options = new WatchOptions { Prefix = under is not null, IncludePrevious = result.GetValue(previous) };
        try
        {
            await foreach (var change in context.Client.WatchAsync(name ?? under!, result.GetValue(after), options, token))
                Print(context, change);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }

        return ExitCodes.Ok;
    }

    private static void Print(CliContext context, WatchEvent change)
    {
        var type = change.Type is WatchEventType.Put ? "put" : "delete";
        if (!context.Json)
        {
            var revision = change.Revision.ToString(CultureInfo.InvariantCulture);
            context.WriteLine(change.Value is { } value ? $"{revision} {type} {change.Key} {CliContext.Text(value)}" : $"{revision} {type} {change.Key}");
            return;
        }

        var (text, bytes) = change.Value is { } now ? CliContext.ValueFields(now) : (null, null);
        var (prevText, prevBytes) = change.PreviousValue is { } before ? CliContext.ValueFields(before) : (null, null);
        var line = new WatchEventJson
        {
            Type = type,
            Key = change.Key,
            Value = text,
            ValueBase64 = bytes,
            Revision = change.Revision,
            PrevValue = prevText,
            PrevValueBase64 = prevBytes,
            PrevRevision = change.PreviousRevision,
        };
        context.WriteJson(json => ContractJson.Write(json, line, KvDbJsonContext.Default.WatchEventJson));
    }
}
