// kvdb lease grant|revoke|keepalive|get|list: leases by id, for scripts that attach keys with
// `kvdb put --lease ID`. Invariants: grant prints the id alone (text) so `id=$(kvdb lease grant
// 30s)` works, and leaves the lease to its TTL (nobody keeps it alive unless asked: keepalive);
// a lease that does not exist exits 1.
using System.CommandLine;
using System.Globalization;
using KvDb.Client;
using KvDb.Contracts;

namespace KvDb.Cli.Verbs;

/// <summary><c>kvdb lease grant TTL</c>.</summary>
internal sealed class LeaseGrantVerb : CliVerb
{
    private readonly Argument<string> ttl = Required("TTL", "The time to live, 1s to 7 days (10s, 1m, 2h).");

    public override string Path => "lease grant";

    public override string Summary => "Grant a lease and print its id.";

    public override IReadOnlyList<string> Usage => ["lease grant TTL [flags]", "lease grant 30s", "id=$(kvdb lease grant 30s) && kvdb put svc/web-1 10.0.0.7 --lease $id && kvdb lease keepalive $id"];

    public override IReadOnlyList<string> Notes => ["Prints the lease's id (-o json: {\"id\",\"ttlSeconds\"}). The lease expires after TTL unless kept alive (kvdb lease keepalive ID)."];

    public override void Define(Command command) => command.Add(ttl);

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        var lifetime = Values.Parse(Values.Ttl, result.GetRequiredValue(ttl));
        var lease = await context.Client.GrantLeaseAsync(lifetime, new KvLeaseOptions { KeepAlive = false }, token);
        lease.Detach();
        await lease.DisposeAsync();
        if (context.Json)
        {
            var granted = new LeaseSummaryJson { Id = lease.Id, TtlSeconds = lease.Ttl.TotalSeconds };
            context.WriteJson(json => ContractJson.Write(json, granted, KvDbJsonContext.Default.LeaseSummaryJson));
        }
        else
        {
            context.WriteLine(lease.Id.ToString(CultureInfo.InvariantCulture));
        }

        return ExitCodes.Ok;
    }
}

/// <summary><c>kvdb lease revoke ID</c>.</summary>
internal sealed class LeaseRevokeVerb : CliVerb
{
    private readonly Argument<string> id = Required("ID", "The lease's id.");

    public override string Path => "lease revoke";

    public override string Summary => "Revoke a lease: its keys are deleted.";

    public override IReadOnlyList<string> Usage => ["lease revoke ID [flags]"];

    public override IReadOnlyList<string> Notes => ["Exit 1 when the lease does not exist."];

    public override void Define(Command command) => command.Add(id);

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        var lease = Values.Parse(Values.LeaseId, result.GetRequiredValue(id));
        return await context.Client.RevokeLeaseAsync(lease, token)
            ? ExitCodes.Ok
            : context.Fail(ExitCodes.NotFoundOrFailed, $"lease {lease} not found");
    }
}

/// <summary><c>kvdb lease keepalive ID</c>.</summary>
internal sealed class LeaseKeepAliveVerb : CliVerb
{
    private readonly Argument<string> id = Required("ID", "The lease's id.");
    private readonly Option<bool> once = Switch("once", "Keep it alive once and exit.");

    public override string Path => "lease keepalive";

    public override string Summary => "Keep a lease alive until Ctrl+C (or once).";

    public override IReadOnlyList<string> Usage => ["lease keepalive ID [flags]", "lease keepalive 5629499534213120 --once"];

    public override IReadOnlyList<string> Notes => ["Sends a keep-alive every third of the lease's TTL and prints \"ID TTL-LEFT\" (-o json: {\"id\",\"remainingSeconds\"}) after each, until Ctrl+C (exit 0). A lease that does not exist (revoked, expired) exits 1."];

    public override void Define(Command command)
    {
        command.Add(id);
        command.Add(once);
    }

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        var lease = Values.Parse(Values.LeaseId, result.GetRequiredValue(id));
        var info = await context.Client.GetLeaseAsync(lease, ReadConsistency.Linearizable, token);
        if (info is null)
            return context.Fail(ExitCodes.NotFoundOrFailed, $"lease {lease} not found");
        var interval = info.Ttl / 3;
        try
        {
            while (true)
            {
                var left = await context.Client.KeepAliveLeaseAsync(lease, token);
                if (context.Json)
                {
                    // Hand-written on purpose: the CLI's keep-alive line {"id","remainingSeconds"} is its
                    // own format (the API's answer also has ttlSeconds) and must not change.
                    context.WriteJson(json =>
                    {
                        json.WriteStartObject();
                        json.WriteNumber("id", lease);
                        json.WriteNumber("remainingSeconds", left.TotalSeconds);
                        json.WriteEndObject();
                    });
                }
                else
                {
                    context.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{lease} {left.TotalSeconds:0.###}s"));
                }

                if (result.GetValue(once))
                    return ExitCodes.Ok;
                await Task.Delay(interval, token);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
    }
}

/// <summary><c>kvdb lease get ID</c>.</summary>
internal sealed class LeaseGetVerb : CliVerb
{
    private readonly Argument<string> id = Required("ID", "The lease's id.");

    public override string Path => "lease get";

    public override string Summary => "Show a lease's TTL, the time it has left and its keys.";

    public override IReadOnlyList<string> Usage => ["lease get ID [flags]"];

    public override IReadOnlyList<string> Notes => ["Text prints \"ID ttl TTL remaining LEFT\", then its keys, one per line; -o json {\"id\",\"ttlSeconds\",\"remainingSeconds\",\"keys\"}. Exit 1 when the lease does not exist."];

    public override void Define(Command command) => command.Add(id);

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        var lease = Values.Parse(Values.LeaseId, result.GetRequiredValue(id));
        var info = await context.Client.GetLeaseAsync(lease, ReadConsistency.Linearizable, token);
        if (info is null)
            return context.Fail(ExitCodes.NotFoundOrFailed, $"lease {lease} not found");
        if (context.Json)
        {
            var described = new LeaseInfoJson { Id = info.Id, TtlSeconds = info.Ttl.TotalSeconds, RemainingSeconds = info.Remaining?.TotalSeconds, Keys = [.. info.Keys] };
            context.WriteJson(json => ContractJson.Write(json, described, KvDbJsonContext.Default.LeaseInfoJson));
            return ExitCodes.Ok;
        }

        var remaining = info.Remaining is { } time ? string.Create(CultureInfo.InvariantCulture, $"{time.TotalSeconds:0.###}s") : "unknown";
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{info.Id} ttl {info.Ttl.TotalSeconds:0.###}s remaining {remaining}"));
        foreach (var key in info.Keys)
            context.Out.WriteLine(key);
        await context.Out.FlushAsync(token);
        return ExitCodes.Ok;
    }
}

/// <summary><c>kvdb lease list</c>.</summary>
internal sealed class LeaseListVerb : CliVerb
{
    public override string Path => "lease list";

    public override string Summary => "List the live leases.";

    public override IReadOnlyList<string> Usage => ["lease list [flags]"];

    public override IReadOnlyList<string> Notes => ["Text prints \"ID TTL\" per lease; -o json {\"leases\": [{\"id\",\"ttlSeconds\"}], \"count\"}."];

    public override void Define(Command command)
    {
    }

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        var leases = await context.Client.ListLeasesAsync(token);
        if (context.Json)
        {
            // Hand-written on purpose: kvdb lease list's -o json puts "leases" before "count" (the
            // API's LeaseListJson has them the other way round) and must not change.
            context.WriteJson(json =>
            {
                json.WriteStartObject();
                json.WriteStartArray("leases");
                foreach (var lease in leases)
                {
                    json.WriteStartObject();
                    json.WriteNumber("id", lease.Id);
                    json.WriteNumber("ttlSeconds", lease.Ttl.TotalSeconds);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteNumber("count", leases.Count);
                json.WriteEndObject();
            });
            return ExitCodes.Ok;
        }

        foreach (var lease in leases)
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{lease.Id} {lease.Ttl.TotalSeconds:0.###}s"));
        await context.Out.FlushAsync(token);
        return ExitCodes.Ok;
    }
}
