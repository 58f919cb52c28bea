// /ui: the dashboard's files, and two reads the browser cannot make by itself: who the caller
// is (its roles' prefixes, so the UI opens where the user may look) and every member's status
// (other members are other origins, which the page's Content-Security-Policy keeps it from calling).
// Invariants:
//  - Every answer under /ui carries the security headers: scripts and styles from this origin
//    only (no inline script), no framing, no MIME sniffing, no referrer.
//  - Assets are revalidated on every load (Cache-Control: no-cache) against a strong ETag, so a
//    member upgraded to a new release serves its own files at once and an unchanged file costs a 304.
using System.Text.Json;
using KvDb.Core.Auth;
using KvDb.Node.Auth;
using KvDb.Node.HttpKit;
using KvDb.Node.Observability;
using KvDb.Node.OpenApi;

namespace KvDb.Node.Dashboard;

/// <summary>Maps /ui.</summary>
public static class DashboardEndpoints
{
    /// <summary>The Content-Security-Policy of every dashboard answer.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private const string Index = "index.html";

    /// <summary>Maps the dashboard's routes.</summary>
    public static void MapDashboardEndpoints(this IEndpointRouteBuilder app)
    {
        var assets = app.ServiceProvider.GetRequiredService<DashboardAssets>();
        var overview = app.ServiceProvider.GetRequiredService<ClusterOverview>();

        // One route for /ui and /ui/...: routing ignores a trailing slash, so a separate /ui
        // route would also catch /ui/ and redirect it to itself.
        app.MapGet("/ui/{**path}", (HttpContext context, string? path) => Asset(context, assets, path))
            .Allow(AccessRule.Open).WithTags("operations").WithName("dashboard")
            .WithSummary("The dashboard (a browser UI): /ui/ is its page, the rest its script, style and icon files, embedded in the executable.")
            .Produces(StatusCodes.Status200OK, contentType: "text/html").Produces(StatusCodes.Status302Found)
            .Produces(StatusCodes.Status304NotModified).ProducesProblem(StatusCodes.Status404NotFound);
        app.MapMethods("/ui/{**path}", ["HEAD"], (HttpContext context, string? path) => Asset(context, assets, path))
            .Allow(AccessRule.Open).WithTags("operations").WithName("dashboardHead")
            .WithSummary("As GET /ui/{path}, without the body.")
            .Produces(StatusCodes.Status200OK).Produces(StatusCodes.Status304NotModified).ProducesProblem(StatusCodes.Status404NotFound);

        app.MapGet("/ui/api/session", Session).Allow(AccessRule.AnyUser)
            .WithTags("operations").WithName("dashboardSession")
            .WithSummary("Who the caller is, as the dashboard shows it: the user, whether it is root, and its roles' prefixes and access.")
            .Produces<JsonElement>(StatusCodes.Status200OK);

        app.MapGet("/ui/api/cluster", (Func<HttpContext, Task<IResult>>)(context => ClusterAsync(context, overview))).Allow(AccessRule.AnyUser)
            .WithTags("operations").WithName("dashboardCluster")
            .WithSummary("Every member's /v1/status, as this member reads them (with the caller's credentials), for the dashboard's cluster view.")
            .Produces<JsonElement>(StatusCodes.Status200OK);

        app.MapGet("/ui/api/activity", (Func<HttpContext, Task<IResult>>)(context => ActivityAsync(context, overview))).Allow(AccessRule.AnyUser)
            .WithTags("operations").WithName("dashboardActivity")
            .WithSummary("Every member's /v1/activity, as this member reads them (with the caller's credentials), for the dashboard's activity charts.")
            .WithQuery("minutes", $"How far back, 1 to {RecentActivity.MaxMinutes} (default {RecentActivity.DefaultMinutes}).")
            .Produces<JsonElement>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest);
    }

    /// <summary>Adds the dashboard's security headers.</summary>
    public static void AddSecurityHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
    }

    private static IResult Asset(HttpContext context, DashboardAssets assets, string? path)
    {
        AddSecurityHeaders(context.Response);
        if (string.IsNullOrEmpty(path) && !context.Request.Path.Value!.EndsWith('/'))
            return Results.Redirect("/ui/");
        var name = string.IsNullOrEmpty(path) ? Index : path;
        if (assets.Find(name) is not { } asset)
            return Problems.Of(StatusCodes.Status404NotFound, "No such dashboard file", $"The dashboard has no file '{ValueResults.Shorten(name)}'; open /ui/.");

        var headers = context.Response.Headers;
        headers.ETag = asset.ETag;
        headers.CacheControl = "no-cache";
        if (context.Request.Headers.IfNoneMatch.ToString().Contains(asset.ETag, StringComparison.Ordinal))
            return Results.StatusCode(StatusCodes.Status304NotModified);
        return Results.Bytes(asset.Bytes, asset.ContentType);
    }

    private static IResult Session(HttpContext context)
    {
        AddSecurityHeaders(context.Response);
        context.Response.Headers.CacheControl = "no-store";
        if (context.Features.Get<AuthenticatedCaller>() is not { } caller)
        {
            // Auth is off: everyone may read and write every key.
            return Results.Json(new SessionJson(null, true, [new PrefixAccessJson("", "readwrite")]), DashboardJsonContext.Default.SessionJson);
        }

        var root = AuthState.IsRoot(caller.User);
        var grants = new List<PrefixAccessJson>();
        if (root)
            grants.Add(new PrefixAccessJson("", "readwrite"));
        else
        {
            foreach (var roleName in caller.User.Roles)
            {
                if (!caller.State.Roles.TryGetValue(roleName, out var role))
                    continue;
                foreach (var permission in role.Permissions)
                    grants.Add(new PrefixAccessJson(System.Text.Encoding.UTF8.GetString(permission.Prefix), AccessName(permission.Access)));
            }
        }

        return Results.Json(new SessionJson(caller.User.Name, root, grants), DashboardJsonContext.Default.SessionJson);
    }

    private static string AccessName(Access access) => access switch
    {
        Access.Read => "read",
        Access.Write => "write",
        _ => "readwrite",
    };

    private static async Task<IResult> ClusterAsync(HttpContext context, ClusterOverview overview)
    {
        AddSecurityHeaders(context.Response);
        context.Response.Headers.CacheControl = "no-store";
        var members = await overview.ReadAsync(context.Request.Headers.Authorization.ToString(), context.RequestAborted);
        return Results.Json(members, DashboardJsonContext.Default.ClusterJson);
    }

    private static async Task<IResult> ActivityAsync(HttpContext context, ClusterOverview overview)
    {
        AddSecurityHeaders(context.Response);
        context.Response.Headers.CacheControl = "no-store";
        if (!RecentActivity.TryReadMinutes(context.Request, out var minutes))
            return Problems.BadRequest(RecentActivity.MinutesProblem);
        var members = await overview.ReadActivityAsync(minutes, context.Request.Headers.Authorization.ToString(), context.RequestAborted);
        return Results.Json(members, DashboardJsonContext.Default.ActivityOverviewJson);
    }
}
