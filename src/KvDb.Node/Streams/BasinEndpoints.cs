// S2's basins on kvdb's keyspaces:
//   GET    /v1/basins               basins the caller may read (prefix, start_after, limit)   any user
//   POST   /v1/basins               create {"basin", "config"}; 201 (s2-request-token: a retry
//                                   with the same token and config answers 201 again)         root
//   GET    /v1/basins/{basin}       its configuration                                          read
//   PUT    /v1/basins/{basin}       create (201) or replace its configuration (200)            root
//   DELETE /v1/basins/{basin}       delete it and every stream in it (202)                     root
// Invariants: a basin is a keyspace whose name follows S2's rules; its record (StreamStore)
// holds the configuration, and a keyspace without one has the default. Creating and deleting
// basins is root's, as creating and deleting keyspaces is.
using System.Text;
using KvDb.Contracts;
using KvDb.Core.Auth;
using KvDb.Core.Commands;
using KvDb.Core.Lists;
using KvDb.Core.State;
using KvDb.Core.Streams;
using KvDb.Node.Auth;
using KvDb.Node.HttpKit;
using KvDb.Node.OpenApi;

namespace KvDb.Node.Streams;

/// <summary>Maps <c>/v1/basins</c>.</summary>
public static class BasinEndpoints
{
    /// <summary>Maps the basin endpoints.</summary>
    public static void MapBasinEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/basins", ListAsync).Allow(AccessRule.AnyUser)
            .WithTags("s2").WithName("s2ListBasins").WithSummary("S2: the basins (keyspaces with S2 names) the caller may read.")
            .WithQuery("prefix", "Names that start with this.").WithQuery("start_after", "Names after this.").WithQuery("limit", "1 to 1000 (0 or more is 1000).")
            .Produces<S2BasinListJson>(StatusCodes.Status200OK);
        app.MapPost("/v1/basins", CreateAsync).Allow(AccessRule.Root)
            .WithTags("s2").WithName("s2CreateBasin").WithSummary("S2: create a basin; s2-request-token makes a retry answer 201 again.")
            .DescribeBody(typeof(S2CreateBasinJson), "application/json")
            .Produces<S2BasinInfoJson>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        app.MapGet("/v1/basins/{basin}", GetConfigAsync).Allow(AccessRule.Keys)
            .WithTags("s2").WithName("s2GetBasinConfig").WithSummary("S2: a basin's configuration.")
            .Produces<S2BasinConfigJson>(StatusCodes.Status200OK).ProducesProblem(StatusCodes.Status404NotFound);
        app.MapPut("/v1/basins/{basin}", PutAsync).Allow(AccessRule.Root)
            .WithTags("s2").WithName("s2PutBasin").WithSummary("S2: create a basin (201) or replace its configuration (200).")
            .DescribeBody(typeof(S2PutBasinJson), "application/json")
            .Produces<S2BasinInfoJson>(StatusCodes.Status200OK).Produces<S2BasinInfoJson>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        app.MapDelete("/v1/basins/{basin}", DeleteAsync).Allow(AccessRule.Root)
            .WithTags("s2").WithName("s2DeleteBasin").WithSummary("S2: delete a basin and its streams.")
            .Produces(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> ListAsync(HttpContext context, KvService kv)
    {
        var (request, error) = S2Requests.ListRequest(context.Request);
        if (request is null)
            return error!;
        using var view = await kv.OpenViewAsync(ReadConsistency.Linearizable, context.RequestAborted);
        var basins = new List<S2BasinInfoJson>();
        var more = false;
        foreach (var (key, value) in view.Scan(StoreKeys.Start(ListStore.Keyspaces), StoreKeys.End(ListStore.Keyspaces)))
        {
            var name = Encoding.UTF8.GetString(key.AsSpan(1));
            if (!S2Names.IsBasin(name) || !request.Admits(name) || !MayReadBasin(context, name))
                continue;
            if (basins.Count == request.Limit)
            {
                more = true;
                break;
            }

            basins.Add(Info(name, ListStore.DecodeKeyspace(value)));
        }

        return Results.Json(new S2BasinListJson { Basins = basins, HasMore = more }, S2JsonContext.Default.S2BasinListJson);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, KvService kv)
    {
        var (body, error) = await S2Requests.JsonAsync(context, S2JsonContext.Default.S2CreateBasinJson, S2Requests.MaxConfigBytes);
        if (body is null)
            return error!;
        if (!S2Names.IsBasin(body.Basin))
            return S2Error.BadJson("`basin` is 8 to 48 of a-z, 0-9 and '-', starting and ending with a letter or digit");
        return await ProvisionAsync(context, kv, body.Basin!, body.Config, replace: false);
    }

    private static async Task<IResult> PutAsync(string basin, HttpContext context, KvService kv)
    {
        if (!S2Names.IsBasin(basin))
            return S2Error.BadJson("a basin name is 8 to 48 of a-z, 0-9 and '-', starting and ending with a letter or digit");
        var (body, error) = await S2Requests.JsonAsync(context, S2JsonContext.Default.S2PutBasinJson, S2Requests.MaxConfigBytes, empty: new S2PutBasinJson());
        return body is null ? error! : await ProvisionAsync(context, kv, basin, body.Config, replace: true);
    }

    private static async Task<IResult> ProvisionAsync(HttpContext context, KvService kv, string basin, S2BasinConfigJson? json, bool replace)
    {
        var (config, invalid) = S2Configs.Resolve(json);
        if (config is null)
            return invalid!;
        var (token, bad) = S2Requests.RequestToken(context.Request);
        if (bad is not null)
            return bad;
        var result = await kv.WriteAsync(new PutBasinCommand { Name = basin, Config = config, Replace = replace, RequestToken = token }, default);
        if (result.Outcome is CommandOutcome.Conflict)
            return S2Error.AlreadyExists($"basin `{basin}`");
        var provision = (Provision)result.Reply![0];
        context.Response.Headers["s2-provision-result"] = ProvisionName(provision);
        using var view = await kv.OpenViewAsync(ReadConsistency.Local, context.RequestAborted);
        var info = ListReader.Keyspace(view, basin) ?? new KeyspaceInfo(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 0, 0, 0);
        var status = !replace || provision is Provision.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK;
        return Results.Json(Info(basin, info), S2JsonContext.Default.S2BasinInfoJson, statusCode: status);
    }

    private static async Task<IResult> GetConfigAsync(string basin, HttpContext context, KvService kv)
    {
        if (!MayReadBasin(context, basin))
            return S2Error.Denied($"reading basin `{basin}` needs read access to every key under '{basin}/'");
        using var view = await kv.OpenViewAsync(ReadConsistency.Linearizable, context.RequestAborted);
        if (!S2Names.IsBasin(basin) || ListReader.Keyspace(view, basin) is null)
            return S2Error.BasinNotFound(basin);
        var config = StreamStore.Basin(view, basin)?.Config ?? BasinConfig.Default;
        return Results.Json(S2Configs.ToJson(config), S2JsonContext.Default.S2BasinConfigJson);
    }

    private static async Task<IResult> DeleteAsync(string basin, KvService kv)
    {
        if (!S2Names.IsBasin(basin))
            return S2Error.BasinNotFound(basin);
        var result = await kv.WriteAsync(new DeleteBasinCommand { Name = basin }, default);
        return result.Outcome is CommandOutcome.Applied ? Results.StatusCode(StatusCodes.Status202Accepted) : S2Error.BasinNotFound(basin);
    }

    /// <summary>Whether the caller may read every stream of <paramref name="basin"/>.</summary>
    internal static bool MayReadBasin(HttpContext context, string basin)
    {
        var prefix = Encoding.UTF8.GetBytes(basin + "/");
        return CallerAccess.MayReadRange(context, prefix, KeyOrder.PrefixEnd(prefix));
    }

    private static S2BasinInfoJson Info(string name, KeyspaceInfo info) => new() { Name = name, CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(info.CreatedAtMs) };

    private static string ProvisionName(Provision provision) => provision switch
    {
        Provision.Created => "created",
        Provision.Updated => "updated",
        _ => "noop",
    };

    /// <summary>The s2-provision-result of a put.</summary>
    internal static string NameOf(Provision provision) => ProvisionName(provision);
}
