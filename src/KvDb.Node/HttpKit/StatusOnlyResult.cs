// A status with no body, for the answers on the hot path (204 to a write, 304 to a read):
// Results.NoContent and Results.StatusCode resolve a logger from the request's services, which
// creates a dependency-injection scope per request.
namespace KvDb.Node.HttpKit;

/// <summary>Sets a status code and writes nothing.</summary>
internal sealed class StatusOnlyResult : IResult
{
    private readonly int status;

    private StatusOnlyResult(int status) => this.status = status;

    /// <summary>204 No Content.</summary>
    public static StatusOnlyResult NoContent { get; } = new(StatusCodes.Status204NoContent);

    /// <summary>304 Not Modified.</summary>
    public static StatusOnlyResult NotModified { get; } = new(StatusCodes.Status304NotModified);

    /// <inheritdoc/>
    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = status;
        return Task.CompletedTask;
    }
}
