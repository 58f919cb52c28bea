// kv-db's interface: PUT /{key} stores the body, GET /{key} returns it. The key is the whole
// percent-decoded path (KeyPath), so any UTF-8 key works, "/" included as %2F. Key deletion
// lives at DELETE /v1/kv/{key}: at the root, DELETE /{digits} removes a member, as in kv-db.
using KvDb.Node.Configuration;
using KvDb.Node.Raft;

namespace KvDb.Node.Http;

/// <summary>Maps the kv-db compatible key-value endpoints at the root path.</summary>
public static class KvEndpoints
{
    private const string Allow = "GET, HEAD, PUT";

    /// <summary>Maps <c>/{key}</c>.</summary>
    public static void MapKvEndpoints(this IEndpointRouteBuilder app)
    {
        app.Map("/{**key}", HandleAsync).WithName("kv");
    }

    private static async Task<IResult> HandleAsync(HttpContext context, KvService kv, NodeOptions options)
    {
        var method = context.Request.Method;
        if (!HttpMethods.IsGet(method) && !HttpMethods.IsHead(method) && !HttpMethods.IsPut(method))
            return Problems.MethodNotAllowed(context, Allow);

        var (key, text, error) = KeyPath.FromRequest(context);
        if (error is not null)
            return Problems.BadRequest(error);

        try
        {
            return HttpMethods.IsPut(method)
                ? await KeyHandlers.PutAsync(context, kv, options, key!, text!)
                : await KeyHandlers.GetAsync(context, kv, key!, text!);
        }
        catch (UnavailableException e)
        {
            return Problems.Unavailable(context, e);
        }
        catch (InsufficientStorageException e)
        {
            return Problems.InsufficientStorage(e);
        }
    }
}
