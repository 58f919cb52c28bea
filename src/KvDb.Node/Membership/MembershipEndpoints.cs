// Membership over REST, kv-db style at the root (POST/DELETE /{nodeId} when nodeId is all
// digits) and in kvdb's own form under /v1/members.
// Invariants: the root paths are membership only for POST and DELETE with an all-digit first
// segment; GET and PUT of such a path still address the key of that name.
using System.Globalization;
using System.Text;
using System.Text.Json;
using KvDb.Contracts;
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using KvDb.Node.OpenApi;
using Microsoft.AspNetCore.Routing.Constraints;

namespace KvDb.Node.Membership;

/// <summary>Maps the membership endpoints.</summary>
public static class MembershipEndpoints
{
    private const int MaxBodyBytes = 4096;

    /// <summary>Registers the route constraint the root membership paths use.</summary>
    public static IServiceCollection AddMembershipRouting(this IServiceCollection services)
        => services.Configure<RouteOptions>(static routes => routes.SetParameterPolicy<RegexInlineRouteConstraint>("regex"));

    /// <summary>Maps <c>POST/DELETE /{nodeId}</c> and <c>/v1/members</c>.</summary>
    public static void MapMembershipEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/{nodeId:regex(^[0-9]+$)}", AddAtRootAsync).Allow(AccessRule.Root)
            .WithTags("members").WithName("addMemberAtRoot").WithSummary("kv-db: add member nodeId (all digits) whose peer URL is the body; 204 done, 202 joining.")
            .DescribeBody(typeof(string), "text/plain")
            .Produces(StatusCodes.Status204NoContent).Produces<System.Text.Json.JsonElement>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapDelete("/{nodeId:regex(^[0-9]+$)}", RemoveAsync).Allow(AccessRule.Root)
            .WithTags("members").WithName("removeMemberAtRoot").WithSummary("kv-db: remove member nodeId (all digits).")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapGet("/v1/members", ListAsync).Allow(AccessRule.AnyUser)
            .WithTags("members").WithName("listMembers").WithSummary("The members with their peer and HTTP URLs, roles, reachability and releases; the X-Kvdb-Cluster-Version header names the cluster version.");
        app.MapPost("/v1/members", AddFromJsonAsync).Allow(AccessRule.Root)
            .WithTags("members").WithName("addMember").WithSummary("Add a member: {\"id\": 4, \"peerUrl\": \"http://host:port\"}; 204 done, 202 joining.")
            .DescribeBody(typeof(System.Text.Json.JsonElement), "application/json")
            .Produces(StatusCodes.Status204NoContent).Produces<System.Text.Json.JsonElement>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapDelete("/v1/members/{nodeId}", RemoveAsync).Allow(AccessRule.Root)
            .WithTags("members").WithName("removeMember").WithSummary("Remove a member.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<IResult> AddAtRootAsync(HttpContext context, string nodeId, MembershipService members)
    {
        var body = await RequestBody.ReadAsync(context, MaxBodyBytes);
        if (body is null)
            return Problems.Of(StatusCodes.Status413PayloadTooLarge, "Body too large", "The body is the new member's peer URL, like " + PeerUrl.Example + ".");
        return await AddAsync(context, nodeId, Encoding.UTF8.GetString(body), members);
    }

    private static async Task<IResult> AddFromJsonAsync(HttpContext context, MembershipService members)
    {
        var body = await RequestBody.ReadAsync(context, MaxBodyBytes);
        if (body is null)
            return Problems.Of(StatusCodes.Status413PayloadTooLarge, "Body too large", "Expected {\"id\": 4, \"peerUrl\": \"" + PeerUrl.Example + "\"}.");

        AddMemberRequestJson? request;
        try
        {
            request = ContractJson.Read(body, KvDbJsonContext.Default.AddMemberRequestJson);
        }
        catch (ContractFormatException e) when (e.NotJson)
        {
            return Problems.BadRequest($"The body is not valid JSON: {e.Message}");
        }
        catch (ContractFormatException)
        {
            request = null;
        }

        // The id stays JSON: its text goes to the same check as the root path's (1e400, 2^64 and -1 are refused there).
        if (request is not { Id: { ValueKind: JsonValueKind.Number } id, PeerUrl: { } url })
            return Problems.BadRequest("Expected {\"id\": 4, \"peerUrl\": \"" + PeerUrl.Example + "\"}: a number 'id' and a string 'peerUrl'.");
        return await AddAsync(context, id.GetRawText(), url, members);
    }

    private static async Task<IResult> AddAsync(HttpContext context, string nodeId, string url, MembershipService members)
    {
        if (ParseId(nodeId) is not { } id)
            return InvalidId(nodeId);
        if (PeerUrl.Normalize(url) is not { } peerUrl)
            return Problems.BadRequest($"'{Shorten(url)}' is not a peer URL like {PeerUrl.Example}.");

        var (outcome, detail) = await members.AddAsync(id, peerUrl, context.RequestAborted);
        return outcome switch
        {
            MembershipOutcome.Done => Results.NoContent(),
            MembershipOutcome.Pending => Results.Json(new MemberJoiningJson { Id = id, PeerUrl = peerUrl, Status = "joining", Detail = detail }, KvDbJsonContext.Default.MemberJoiningJson, statusCode: StatusCodes.Status202Accepted),
            _ => Problems.Of(StatusCodes.Status409Conflict, "Member conflict", detail),
        };
    }

    private static async Task<IResult> RemoveAsync(HttpContext context, string nodeId, MembershipService members)
    {
        if (ParseId(nodeId) is not { } id)
            return InvalidId(nodeId);

        var (outcome, detail) = await members.RemoveAsync(id, context.RequestAborted);
        return outcome switch
        {
            MembershipOutcome.Done => Results.NoContent(),
            MembershipOutcome.NotFound => Problems.Of(StatusCodes.Status404NotFound, "No such member", detail),
            MembershipOutcome.ChangeInProgress => Problems.Of(StatusCodes.Status409Conflict, "Membership change in progress", detail),
            _ => Problems.Of(StatusCodes.Status409Conflict, "Member conflict", detail),
        };
    }

    /// <summary>The header of <c>GET /v1/members</c> that names the cluster version (its lowest member release).</summary>
    public const string ClusterVersionHeader = "X-Kvdb-Cluster-Version";

    private static async Task<IResult> ListAsync(HttpContext context, MembershipService members, Writes.ClusterVersionGate clusterVersion)
    {
        var list = await members.ListAsync(context.RequestAborted);
        context.Response.Headers[ClusterVersionHeader] = clusterVersion.Current.Version;
        return Results.Json(list.Select(static m => m.ToContract()).ToList(), KvDbJsonContext.Default.ListMemberJson);
    }

    private static int? ParseId(string text)
        => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0 ? id : null;

    private static IResult InvalidId(string text)
        => Problems.BadRequest($"'{Shorten(text)}' is not a member id: ids are whole numbers from 1 to {int.MaxValue}.");

    private static string Shorten(string text) => text.Length <= 100 ? text : text[..100] + "…";
}
