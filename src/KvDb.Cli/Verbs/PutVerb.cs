// kvdb put KEY [VALUE]: stores a value (from the argument, or all of stdin), optionally only if
// the key is at a revision, absent or present, and optionally attached to a lease or with a TTL.
// Prints the new revision. Exit 1 when the condition did not hold or the lease does not exist.
using System.CommandLine;
using KvDb.Client;
using KvDb.Flags;

namespace KvDb.Cli.Verbs;

/// <summary><c>kvdb put</c>.</summary>
internal sealed class PutVerb : CliVerb
{
    private readonly Argument<string> key = Required("KEY", "The key.");
    private readonly Argument<string?> value = Optional("VALUE", "The value; without it, all of standard input.");
    private readonly Flag<long?> lease = new("lease", "ID", "none", "Attach the key to this lease: it is deleted when the lease ends.", Values.LeaseId, defaultValue: static () => null);
    private readonly Flag<TimeSpan?> ttl = new("ttl", "DURATION", "none", "Grant a lease of this TTL with the key (one log entry): the key is deleted after it.", Values.Ttl, defaultValue: static () => null);
    private readonly Flag<long?> ifRevision = new("if-revision", "R", "none", "Only if the key is at revision R (compare-and-swap).", Values.Positive("--if-revision"), defaultValue: static () => null);
    private readonly Option<bool> ifAbsent = Switch("if-absent", "Only if the key does not exist (create only).");
    private readonly Option<bool> ifExists = Switch("if-exists", "Only if the key exists.");

    public override string Path => "put";

    public override string Summary => "Store a value under a key.";

    public override IReadOnlyList<string> Usage => ["put KEY [VALUE] [flags]", "put config/db pg://a", "put lock me --if-absent", "put session/abc x --ttl 30s", "put config/app < app.json"];

    public override IReadOnlyList<string> Notes => ["Prints the key's new revision (-o json: {\"key\",\"revision\"}). A condition that does not hold exits 1 and says the key's current revision."];

    public override void Define(Command command)
    {
        command.Add(key);
        command.Add(value);
        foreach (var option in new Option[] { lease, ttl, ifRevision, ifAbsent, ifExists })
            command.Add(option);
    }

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        var name = result.GetRequiredValue(key);
        var conditions = (result.GetValue(ifRevision) is null ? 0 : 1) + (result.GetValue(ifAbsent) ? 1 : 0) + (result.GetValue(ifExists) ? 1 : 0);
        if (conditions > 1)
            return context.Fail(ExitCodes.Usage, "give one of --if-revision, --if-absent and --if-exists");
        if (result.GetValue(lease) is not null && result.GetValue(ttl) is not null)
            return context.Fail(ExitCodes.Usage, "give --lease (an existing lease) or --ttl (a new one), not both");
        var condition = result.GetValue(ifRevision) is { } revision ? WriteCondition.RevisionIs(revision)
            : result.GetValue(ifAbsent) ? WriteCondition.KeyAbsent
            : result.GetValue(ifExists) ? WriteCondition.KeyExists
            : WriteCondition.None;
        var text = result.GetValue(value) ?? await context.Console.In.ReadToEndAsync(token);
        var written = await context.Client.PutAsync(name, text, new KvWriteOptions { Condition = condition, Lease = result.GetValue(lease), Ttl = result.GetValue(ttl) }, token);
        if (context.Json)
        {
            // Hand-written on purpose: {"key", "revision"} is the CLI's own document (the API answers a put with headers).
            context.WriteJson(json =>
            {
                json.WriteStartObject();
                json.WriteString("key", name);
                json.WriteNumber("revision", written);
                json.WriteEndObject();
            });
        }
        else
        {
            context.WriteLine(written.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return ExitCodes.Ok;
    }
}
