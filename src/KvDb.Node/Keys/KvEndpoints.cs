// kv-db's interface: PUT /{key} stores the body, GET /{key} returns it. The key is the whole
// percent-decoded path (KeyPath), so any UTF-8 key works, "/" included as %2F. Key deletion
// lives at DELETE /v1/kv/{key}: at the root, DELETE /{digits} removes a member, as in kv-db.

using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using KvDb.Node.OpenApi;
using Microsoft.Extensions.Options;

namespace KvDb.Node.Keys;

/// <summary>Maps the kv-db compatible key-value endpoints at the root path.</summary>
public static class KvEndpoints
{
    private const string Allow = "GET, HEAD, PUT";

    // kvdb's own endpoints at the root and the methods they serve.
    private static readonly Dictionary<string, string> OwnEndpoints = new(StringComparer.Ordinal)
    {
        ["ping"] = "GET",
        ["readyz"] = "GET",
        ["metrics"] = "GET",
        ["api"] = "PUT, DELETE",
        ["v1/status"] = "GET",
        ["v1/log"] = "GET",
        ["v1/members"] = "GET, POST",
        ["v1/kv"] = "GET",
        ["ui"] = "GET",
    };

    private static readonly string[] OwnPrefixes = ["v1/", "internal/", "api/", "ui/"];

    /// <summary>Maps <c>/{key}</c>.</summary>
    public static void MapKvEndpoints(this IEndpointRouteBuilder app)
    {
        // The services are resolved once: a handler that takes them as parameters resolves them
        // from the request's services, which creates a dependency-injection scope per request.
        var kv = app.ServiceProvider.GetRequiredService<KvService>();
        var limits = app.ServiceProvider.GetRequiredService<IOptions<ValueLimits>>();
        app.Map("/{**key}", (Func<HttpContext, Task<IResult>>)(context => HandleAsync(context, kv, limits))).WithName("kv").Allow(AccessRule.Keys)
            .DescribeMethods("GET", "HEAD", "PUT").WithTags("keys")
            .WithSummary("kv-db's interface: the whole path is the key. GET reads the value, PUT stores the body (delete with DELETE /v1/kv/{key}).")
            .DescribeKeyHandlers();
    }

    private static async Task<IResult> HandleAsync(HttpContext context, KvService kv, IOptions<ValueLimits> limits)
    {
        var method = context.Request.Method;
        if (!HttpMethods.IsGet(method) && !HttpMethods.IsHead(method) && !HttpMethods.IsPut(method))
            return Problems.MethodNotAllowed(context, Allow);

        var (key, text, error) = KeyPath.FromRequest(context);
        if (error is not null)
            return Problems.BadRequest(error);
        if (HttpMethods.IsPut(method) && OwnEndpointProblem(context, text!) is { } reserved)
            return reserved;

        return HttpMethods.IsPut(method)
            ? await KeyHandlers.PutAsync(context, kv, limits, key!, text!)
            : await KeyHandlers.GetAsync(context, kv, key!, text!);
    }

    private static IResult? OwnEndpointProblem(HttpContext context, string path)
    {
        if (OwnEndpoints.TryGetValue(path, out var allow))
        {
            context.Response.Headers.Allow = allow;
            return Problems.Of(StatusCodes.Status405MethodNotAllowed, "Method not allowed",
                $"/{path} is one of kvdb's own endpoints ({allow}), not a key. To store a key named '{path}', use PUT /v1/kv/{path}.");
        }

        return Array.Exists(OwnPrefixes, prefix => path.StartsWith(prefix, StringComparison.Ordinal))
            ? Problems.Of(StatusCodes.Status404NotFound, "No such endpoint",
                $"/{ValueResults.Shorten(path)} is under kvdb's own paths and is not a key. To store a key with this name, use PUT /v1/kv/{ValueResults.Shorten(path)}.")
            : null;
    }
}
