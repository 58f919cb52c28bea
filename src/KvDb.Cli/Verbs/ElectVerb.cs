// kvdb elect NAME [VALUE]: campaigns with VALUE and leads until Ctrl+C (then resigns); with
// --observe prints each change of leader; with neither prints the current leader's value.
// Invariants: a leadership lost while held exits 1; Ctrl+C resigns first and exits 0; no leader
// (without --observe) exits 1.
using System.CommandLine;
using System.Globalization;
using KvDb.Client;
using KvDb.Contracts;
using KvDb.Flags;

namespace KvDb.Cli.Verbs;

/// <summary><c>kvdb elect</c>.</summary>
internal sealed class ElectVerb : CliVerb
{
    private readonly Argument<string> name = Required("NAME", "The election's name (1 to 256 characters without '/').");
    private readonly Argument<string?> value = Optional("VALUE", "Campaign with this value and lead until Ctrl+C; without it, print the leader's value.");
    private readonly Flag<TimeSpan?> ttl = new("ttl", "DURATION", "10s", "TTL of the candidacy's lease: if kvdb dies, leadership ends that long after.", Values.Ttl);
    private readonly Option<bool> observe = Switch("observe", "Print the leader now and at each change, until Ctrl+C.");

    public override string Path => "elect";

    public override string Summary => "Campaign in a leader election, show its leader, or observe it.";

    public override IReadOnlyList<string> Usage => ["elect NAME [VALUE] [flags]", "elect scheduler 10.0.0.7:80", "elect scheduler", "elect scheduler --observe -o json"];

    public override IReadOnlyList<string> Notes =>
    [
        "With VALUE: waits until elected (candidates are elected in the order they campaigned), prints \"KEY REVISION\" (-o json: {\"name\",\"key\",\"value\",\"revision\",\"lease\"}), leads until Ctrl+C, then resigns. Leadership lost meanwhile exits 1.",
        "Without VALUE: prints the leader's value; exit 1 when there is none. --observe prints \"REVISION VALUE\" for each leader (\"-\" while there is none; -o json: one object per line, {\"leader\": null} while none) until Ctrl+C.",
    ];

    public override void Define(Command command)
    {
        command.Add(name);
        command.Add(value);
        command.Add(ttl);
        command.Add(observe);
    }

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        var election = result.GetRequiredValue(name);
        var candidate = result.GetValue(value);
        if (result.GetValue(observe))
            return candidate is null ? await ObserveAsync(context, election, token) : context.Fail(ExitCodes.Usage, "--observe takes no VALUE");
        if (candidate is not null)
            return await LeadAsync(context, election, candidate, result.GetValue(ttl) ?? TimeSpan.FromSeconds(10), token);

        var leader = await context.Client.GetLeaderAsync(election, token);
        if (leader is null)
            return context.Fail(ExitCodes.NotFoundOrFailed, $"election '{election}' has no leader");
        if (context.Json)
            context.WriteJson(json => Write(json, leader));
        else
            context.WriteLine(leader.Value);
        return ExitCodes.Ok;
    }

    private static async Task<int> LeadAsync(CliContext context, string election, string candidate, TimeSpan ttl, CancellationToken token)
    {
        await using var leadership = await context.Client.CampaignAsync(election, candidate, ttl, token);
        if (context.Json)
            context.WriteJson(json => Write(json, new KvElectionLeader(leadership.Key, leadership.Value, leadership.Revision, leadership.Lease.Id), election));
        else
            context.WriteLine(leadership.Key + " " + leadership.Revision.ToString(CultureInfo.InvariantCulture));

        using var either = CancellationTokenSource.CreateLinkedTokenSource(token, leadership.Lost);
        try
        {
            await Task.Delay(Timeout.Infinite, either.Token);
        }
        catch (OperationCanceledException)
        {
        }

        return leadership.Lost.IsCancellationRequested
            ? context.Fail(ExitCodes.NotFoundOrFailed, $"leadership of '{election}' was lost: {leadership.Lease.LossReason ?? "its key was deleted"}")
            : ExitCodes.Ok;
    }

    private static async Task<int> ObserveAsync(CliContext context, string election, CancellationToken token)
    {
        try
        {
            await foreach (var leader in context.Client.ObserveAsync(election, token))
            {
                if (context.Json)
                {
                    if (leader is null)
                        context.WriteJson(json => ContractJson.Write(json, new NoLeaderJson(), KvDbJsonContext.Default.NoLeaderJson));
                    else
                        context.WriteJson(json => Write(json, leader));
                }
                else
                {
                    context.WriteLine(leader is null ? "-" : leader.Revision.ToString(CultureInfo.InvariantCulture) + " " + leader.Value);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }

        return ExitCodes.Ok;
    }

    // A leader as GET /v1/elections/{name} answers it, or, with the election's name, as a campaign does.
    private static void Write(System.Text.Json.Utf8JsonWriter json, KvElectionLeader leader, string? election = null)
    {
        if (election is null)
            ContractJson.Write(json, new ElectionLeaderJson { Key = leader.Key, Value = leader.Value, Revision = leader.Revision, Lease = leader.Lease }, KvDbJsonContext.Default.ElectionLeaderJson);
        else
            ContractJson.Write(json, new ElectedJson { Name = election, Key = leader.Key, Value = leader.Value, Revision = leader.Revision, Lease = leader.Lease }, KvDbJsonContext.Default.ElectedJson);
    }
}
