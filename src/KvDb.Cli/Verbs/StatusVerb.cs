// kvdb status: asks every endpoint for its /v1/status, one member at a time (not failing over:
// the point is to see each). Text: "ENDPOINT ID ROLE term T leader L applied A ready|not ready
// (why) version V cluster C" per endpoint, or "ENDPOINT unreachable: ..."; json a list of the
// status documents' main fields. Exit 3 when any endpoint did not answer.
using System.CommandLine;
using System.Globalization;
using KvDb.Client;

namespace KvDb.Cli.Verbs;

/// <summary><c>kvdb status</c>.</summary>
internal sealed class StatusVerb : CliVerb
{
    public override string Path => "status";

    public override string Summary => "Show each endpoint's status (role, term, leader, applied index, readiness).";

    public override IReadOnlyList<string> Usage => ["status [flags]", "status --endpoints http://127.0.0.1:12380,http://127.0.0.1:22380,http://127.0.0.1:32380"];

    public override IReadOnlyList<string> Notes => ["Asks each of --endpoints itself. Text prints \"ENDPOINT ID ROLE term T leader L applied A ready version V cluster C\" (or \"not ready (why)\" before version, or \"unreachable: why\") per endpoint, V its release and C the cluster version; -o json a list of {\"endpoint\",\"id\",\"role\",\"term\",\"leader\",\"commitIndex\",\"appliedIndex\",\"ready\",\"readiness\",\"version\",\"clusterVersion\"} ({\"endpoint\",\"error\"} for one that did not answer). Exit 3 when any endpoint did not answer."];

    public override void Define(Command command)
    {
    }

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        var answers = new List<(Uri Endpoint, KvMemberStatus? Status, string? Error)>();
        foreach (var endpoint in context.Settings.Endpoints)
        {
            try
            {
                answers.Add((endpoint, await context.Client.GetStatusAsync(endpoint, token), null));
            }
            catch (KvException e)
            {
                answers.Add((endpoint, null, e.Message));
            }
        }

        if (context.Json)
        {
            // Hand-written on purpose: a summary per endpoint ({"endpoint", ...} or {"endpoint", "error"}),
            // the CLI's own document, not the API's StatusJson; -o json must not change.
            context.WriteJson(json =>
            {
                json.WriteStartArray();
                foreach (var (endpoint, status, error) in answers)
                {
                    json.WriteStartObject();
                    json.WriteString("endpoint", endpoint.ToString());
                    if (status is null)
                    {
                        json.WriteString("error", error);
                    }
                    else
                    {
                        json.WriteNumber("id", status.Id);
                        json.WriteString("role", status.Role);
                        json.WriteNumber("term", status.Term);
                        if (status.Leader?.Id is { } leader)
                            json.WriteNumber("leader", leader);
                        else
                            json.WriteNull("leader");
                        json.WriteNumber("commitIndex", status.CommitIndex);
                        json.WriteNumber("appliedIndex", status.AppliedIndex);
                        json.WriteBoolean("ready", status.Ready);
                        json.WriteString("readiness", status.Readiness);
                        json.WriteString("version", status.Version);
                        json.WriteString("clusterVersion", status.ClusterVersion);
                    }

                    json.WriteEndObject();
                }

                json.WriteEndArray();
            });
        }
        else
        {
            foreach (var (endpoint, status, error) in answers)
            {
                context.Out.WriteLine(status is null
                    ? $"{endpoint} unreachable: {error}"
                    : string.Create(CultureInfo.InvariantCulture, $"{endpoint} {status.Id} {status.Role} term {status.Term} leader {status.Leader?.Id?.ToString(CultureInfo.InvariantCulture) ?? "-"} applied {status.AppliedIndex} {(status.Ready ? "ready" : $"not ready ({status.Readiness})")} version {status.Version} cluster {status.ClusterVersion ?? "-"}"));
            }

            await context.Out.FlushAsync(token);
        }

        return answers.Exists(static a => a.Status is null)
            ? context.Fail(ExitCodes.Unavailable, "not every endpoint answered")
            : ExitCodes.Ok;
    }
}
