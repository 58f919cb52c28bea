// kv-db's interface: PUT /{key} stores the body, GET /{key} returns it. The key is the whole
// percent-decoded path (KeyPath), so any UTF-8 key works, "/" included as %2F.
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
                ? await PutAsync(context, kv, options, key!)
                : await GetAsync(context, kv, key!, text!);
        }
        catch (UnavailableException e)
        {
            return Problems.Unavailable(context, e);
        }
    }

    private static async Task<IResult> GetAsync(HttpContext context, KvService kv, byte[] key, string text)
    {
        if (!KvService.TryParseConsistency(context.Request.Query["consistency"], out var consistency))
            return Problems.BadRequest("consistency must be 'linearizable' (the default) or 'local'.");

        var value = await kv.GetAsync(key, consistency, context.RequestAborted);
        return value is null
            ? Problems.Of(StatusCodes.Status404NotFound, "Key not found", $"No value is stored under '{text}'.")
            : Results.Bytes(value.Value, "application/octet-stream");
    }

    private static async Task<IResult> PutAsync(HttpContext context, KvService kv, NodeOptions options, byte[] key)
    {
        var value = await RequestBody.ReadAsync(context, options.MaxValueBytes);
        if (value is null)
            return Problems.Of(StatusCodes.Status413PayloadTooLarge, "Value too large", $"Values are limited to {options.MaxValueBytes} bytes (--max-value-bytes).");

        await kv.PutAsync(key, value, context.RequestAborted);
        return Results.NoContent();
    }
}
