// kvdb members: the cluster's members as a member lists them (GET /v1/members).
// Text: "ID ROLE HTTP-URL PEER-URL reachable|unreachable VERSION" per member ("-": advertised no
// release); json the list.
using System.CommandLine;
using System.Globalization;

namespace KvDb.Cli.Verbs;

/// <summary><c>kvdb members</c>.</summary>
internal sealed class MembersVerb : CliVerb
{
    public override string Path => "members";

    public override string Summary => "List the cluster's members.";

    public override IReadOnlyList<string> Usage => ["members [flags]"];

    public override IReadOnlyList<string> Notes => ["Text prints \"ID ROLE HTTP-URL PEER-URL reachable|unreachable VERSION\" per member (reachability as the answering member sees it; VERSION - for a member of a release before cluster versions); -o json a list of {\"id\",\"role\",\"httpUrl\",\"peerUrl\",\"reachable\",\"version\"}."];

    public override void Define(Command command)
    {
    }

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        var members = await context.Client.GetMembersAsync(token);
        if (context.Json)
        {
            // Hand-written on purpose: the CLI's member objects put role and httpUrl before peerUrl
            // (the API's MemberJson does not) and -o json must not change.
            context.WriteJson(json =>
            {
                json.WriteStartArray();
                foreach (var member in members)
                {
                    json.WriteStartObject();
                    json.WriteNumber("id", member.Id);
                    json.WriteString("role", member.Role);
                    json.WriteString("httpUrl", member.HttpUrl?.ToString());
                    json.WriteString("peerUrl", member.PeerUrl);
                    json.WriteBoolean("reachable", member.Reachable);
                    json.WriteString("version", member.Version);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            });
            return ExitCodes.Ok;
        }

        foreach (var member in members)
            context.Out.WriteLine(string.Join(' ', member.Id.ToString(CultureInfo.InvariantCulture), member.Role, member.HttpUrl?.ToString() ?? "-", member.PeerUrl, member.Reachable ? "reachable" : "unreachable", member.Version ?? "-"));
        await context.Out.FlushAsync(token);
        return ExitCodes.Ok;
    }
}
