// 200 with a value's bytes, written straight to the response: the answer to every successful
// single-key read, so it is on the read hot path.
// Invariants:
//  - It touches nothing but the response: no request services (Results.Bytes resolves a logger
//    from them, which creates a dependency-injection scope per request) and no precondition
//    evaluation of its own (ValueResults decides If-Match and If-None-Match on the revision).
//  - A HEAD answer carries the Content-Length of the GET answer and no body.
namespace KvDb.Node.HttpKit;

/// <summary>Writes a value's bytes with status 200.</summary>
internal sealed class ValueBytesResult(ReadOnlyMemory<byte> bytes, string contentType) : IResult
{
    /// <inheritdoc/>
    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = contentType;
        response.ContentLength = bytes.Length;
        if (bytes.IsEmpty || HttpMethods.IsHead(httpContext.Request.Method))
            return Task.CompletedTask;
        var write = response.BodyWriter.WriteAsync(bytes, httpContext.RequestAborted);
        return write.IsCompletedSuccessfully ? Task.CompletedTask : write.AsTask();
    }
}
