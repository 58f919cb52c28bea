// S2's streams on kvdb's lists; the basin comes from the s2-basin header:
//   GET    /v1/streams               streams the caller may read (prefix, start_after, limit)
//   POST   /v1/streams               create {"stream", "config"}; 201 (s2-request-token as for basins)
//   GET    /v1/streams/{stream}      its configuration, every field set
//   PUT    /v1/streams/{stream}      create (201) or replace its configuration (200); the body is a StreamConfig
//   PATCH  /v1/streams/{stream}      change the fields given; answers the whole configuration
//   DELETE /v1/streams/{stream}      delete it and its records (202)
// Invariants: a stream is the list of the same key in the basin's keyspace; a list appended
// through the lists API is a stream with the default configuration. Creating, changing and
// deleting a stream needs write access to "{basin}/{stream}", reading it read access.
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

/// <summary>Maps <c>/v1/streams</c>.</summary>
public static class StreamEndpoints
{
    /// <summary>Maps the stream endpoints.</summary>
    public static void MapStreamEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/streams", ListAsync).Allow(AccessRule.AnyUser)
            .WithTags("s2").WithName("s2ListStreams").WithSummary("S2: the streams of the s2-basin the caller may read.")
            .WithQuery("prefix", "Names that start with this.").WithQuery("start_after", "Names after this.").WithQuery("limit", "1 to 1000 (0 or more is 1000).")
            .Produces<S2StreamListJson>(StatusCodes.Status200OK).ProducesProblem(StatusCodes.Status400BadRequest);
        app.MapPost("/v1/streams", CreateAsync).Allow(AccessRule.Keys)
            .WithTags("s2").WithName("s2CreateStream").WithSummary("S2: create a stream in the s2-basin.")
            .DescribeBody(typeof(S2CreateStreamJson), "application/json")
            .Produces<S2StreamInfoJson>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        app.MapGet("/v1/streams/{stream}", GetConfigAsync).Allow(AccessRule.Keys)
            .WithTags("s2").WithName("s2GetStreamConfig").WithSummary("S2: a stream's configuration.")
            .Produces<S2StreamConfigJson>(StatusCodes.Status200OK).ProducesProblem(StatusCodes.Status404NotFound);
        app.MapPut("/v1/streams/{stream}", PutAsync).Allow(AccessRule.Keys)
            .WithTags("s2").WithName("s2PutStream").WithSummary("S2: create a stream (201) or replace its configuration (200).")
            .DescribeBody(typeof(S2StreamConfigJson), "application/json")
            .Produces<S2StreamInfoJson>(StatusCodes.Status200OK).Produces<S2StreamInfoJson>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status404NotFound);
        app.MapPatch("/v1/streams/{stream}", PatchAsync).Allow(AccessRule.Keys)
            .WithTags("s2").WithName("s2ReconfigureStream").WithSummary("S2: change the fields given of a stream's configuration.")
            .DescribeBody(typeof(S2StreamConfigJson), "application/json")
            .Produces<S2StreamConfigJson>(StatusCodes.Status200OK).ProducesProblem(StatusCodes.Status404NotFound);
        app.MapDelete("/v1/streams/{stream}", DeleteAsync).Allow(AccessRule.Keys)
            .WithTags("s2").WithName("s2DeleteStream").WithSummary("S2: delete a stream and its records.")
            .Produces(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> ListAsync(HttpContext context, KvService kv)
    {
        var (basin, error) = S2Names.BasinOf(context.Request);
        if (basin is null)
            return error!;
        var (request, bad) = S2Requests.ListRequest(context.Request);
        if (request is null)
            return bad!;
        using var view = await kv.OpenViewAsync(ReadConsistency.Linearizable, context.RequestAborted);
        var prefix = ListStore.KeyspacePrefix(ListStore.Metas, basin);
        var streams = new List<S2StreamInfoJson>();
        var more = false;
        foreach (var (key, value) in view.Scan(prefix, ListStore.PrefixEnd(prefix)))
        {
            var name = Encoding.UTF8.GetString(key.AsSpan(prefix.Length));
            if (!request.Admits(name) || !CallerAccess.MayRead(context, S2Names.AccessKey(basin, name)))
                continue;
            if (streams.Count == request.Limit)
            {
                more = true;
                break;
            }

            streams.Add(Info(name, StreamStore.Stream(view, basin, name), ListStore.DecodeMeta(value)));
        }

        return Results.Json(new S2StreamListJson { Streams = streams, HasMore = more }, S2JsonContext.Default.S2StreamListJson);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, KvService kv)
    {
        var (basin, error) = S2Names.BasinOf(context.Request);
        if (basin is null)
            return error!;
        var (body, bad) = await S2Requests.JsonAsync(context, S2JsonContext.Default.S2CreateStreamJson, S2Requests.MaxConfigBytes);
        if (body is null)
            return bad!;
        if (body.Stream is null || S2Names.CheckStream(body.Stream) is not null)
            return S2Error.BadJson($"`stream`: {S2Names.CheckStream(body.Stream ?? "")}");
        return await ProvisionAsync(context, kv, basin, body.Stream, body.Config, replace: false);
    }

    private static async Task<IResult> PutAsync(HttpContext context, KvService kv)
    {
        var (basin, stream, error) = Target(context);
        if (error is not null)
            return error;
        var (body, bad) = await S2Requests.JsonAsync(context, S2JsonContext.Default.S2StreamConfigJson, S2Requests.MaxConfigBytes, empty: new S2StreamConfigJson());
        return body is null ? bad! : await ProvisionAsync(context, kv, basin!, stream!, body, replace: true);
    }

    private static async Task<IResult> PatchAsync(HttpContext context, KvService kv)
    {
        var (basin, stream, error) = Target(context);
        if (error is not null)
            return error;
        if (KeyAccess.Denied(context, Access.Write, S2Names.AccessKey(basin!, stream!)) is not null)
            return S2Error.Denied($"changing stream `{stream}` needs write access to '{basin}/{stream}'");
        var (body, bad) = await S2Requests.JsonAsync(context, S2JsonContext.Default.S2StreamConfigJson, S2Requests.MaxConfigBytes, empty: new S2StreamConfigJson());
        if (body is null)
            return bad!;
        StreamConfig current;
        using (var view = await kv.OpenViewAsync(ReadConsistency.Linearizable, context.RequestAborted))
        {
            if (ListReader.Meta(view, basin!, Encoding.UTF8.GetBytes(stream!)) is null)
                return S2Error.StreamNotFound(basin!, stream!);
            current = StreamStore.Stream(view, basin!, stream!)?.Config ?? StreamConfig.Default;
        }

        var (config, invalid) = S2Configs.Resolve(body, current);
        if (config is null)
            return invalid!;
        var result = await kv.WriteAsync(new PutStreamCommand { Basin = basin!, Stream = stream!, Config = config, Replace = true }, default);
        return result.Outcome is CommandOutcome.NotFound ? S2Error.BasinNotFound(basin!) : Results.Json(S2Configs.ToJson(config), S2JsonContext.Default.S2StreamConfigJson);
    }

    private static async Task<IResult> ProvisionAsync(HttpContext context, KvService kv, string basin, string stream, S2StreamConfigJson? json, bool replace)
    {
        if (KeyAccess.Denied(context, Access.Write, S2Names.AccessKey(basin, stream)) is not null)
            return S2Error.Denied($"creating or changing stream `{stream}` needs write access to '{basin}/{stream}'");
        BasinConfig basinConfig;
        using (var view = await kv.OpenViewAsync(ReadConsistency.Linearizable, context.RequestAborted))
        {
            if (ListReader.Keyspace(view, basin) is null)
                return S2Error.BasinNotFound(basin);
            basinConfig = StreamStore.Basin(view, basin)?.Config ?? BasinConfig.Default;
        }

        var (config, invalid) = S2Configs.Resolve(json, basinConfig.DefaultStreamConfig);
        if (config is null)
            return invalid!;
        var (token, bad) = S2Requests.RequestToken(context.Request);
        if (bad is not null)
            return bad;
        var result = await kv.WriteAsync(new PutStreamCommand { Basin = basin, Stream = stream, Config = config, Replace = replace, RequestToken = token }, default);
        switch (result.Outcome)
        {
            case CommandOutcome.NotFound:
                return S2Error.BasinNotFound(basin);
            case CommandOutcome.Conflict:
                return S2Error.AlreadyExists($"stream `{stream}` in basin `{basin}`");
        }

        var provision = (Provision)result.Reply![0];
        context.Response.Headers["s2-provision-result"] = BasinEndpoints.NameOf(provision);
        using var after = await kv.OpenViewAsync(ReadConsistency.Local, context.RequestAborted);
        var meta = ListReader.Meta(after, basin, Encoding.UTF8.GetBytes(stream)) ?? default;
        var status = !replace || provision is Provision.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK;
        return Results.Json(Info(stream, StreamStore.Stream(after, basin, stream), meta), S2JsonContext.Default.S2StreamInfoJson, statusCode: status);
    }

    private static async Task<IResult> GetConfigAsync(HttpContext context, KvService kv)
    {
        var (basin, stream, error) = Target(context);
        if (error is not null)
            return error;
        if (KeyAccess.Denied(context, Access.Read, S2Names.AccessKey(basin!, stream!)) is not null)
            return S2Error.Denied($"reading stream `{stream}` needs read access to '{basin}/{stream}'");
        using var view = await kv.OpenViewAsync(ReadConsistency.Linearizable, context.RequestAborted);
        if (ListReader.Meta(view, basin!, Encoding.UTF8.GetBytes(stream!)) is null)
            return S2Error.StreamNotFound(basin!, stream!);
        return Results.Json(S2Configs.ToJson(StreamStore.Stream(view, basin!, stream!)?.Config ?? StreamConfig.Default), S2JsonContext.Default.S2StreamConfigJson);
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, KvService kv)
    {
        var (basin, stream, error) = Target(context);
        if (error is not null)
            return error;
        if (KeyAccess.Denied(context, Access.Write, S2Names.AccessKey(basin!, stream!)) is not null)
            return S2Error.Denied($"deleting stream `{stream}` needs write access to '{basin}/{stream}'");
        var result = await kv.WriteAsync(new DeleteStreamCommand { Basin = basin!, Stream = stream! }, default);
        return result.Outcome is CommandOutcome.Applied ? Results.StatusCode(StatusCodes.Status202Accepted) : S2Error.StreamNotFound(basin!, stream!);
    }

    /// <summary>The basin (header) and stream (path) of a request, or the error.</summary>
    internal static (string? Basin, string? Stream, S2Error? Error) Target(HttpContext context)
    {
        var (basin, error) = S2Names.BasinOf(context.Request);
        if (basin is null)
            return (null, null, error);
        var stream = S2Requests.StreamOf(context);
        return S2Names.CheckStream(stream) is { } bad ? (null, null, S2Error.BadPath(bad)) : (basin, stream, null);
    }

    private static S2StreamInfoJson Info(string name, StreamRecord? record, ListMeta meta)
        => new() { Name = name, CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(record?.CreatedAtMs ?? meta.FirstTimestampMs) };
}
