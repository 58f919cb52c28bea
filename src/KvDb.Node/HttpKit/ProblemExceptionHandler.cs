// The one place exceptions become problem details. Endpoints let the exceptions that mean
// "the cluster cannot do this now" travel up; this handler answers them.
// Invariants:
//  - UnavailableException and NotLeaderException answer 503 with Retry-After and
//    "outcomeUnknown" (true only when a write may have been applied), except
//    FeatureUnavailableException (a command not every member can apply): 409 naming the feature
//    and the members; InsufficientStorageException
//    answers 507; BadHttpRequestException (a body that ends before its Content-Length, one over
//    Kestrel's limit) answers its own 4xx, without the error log of an unhandled exception: it is
//    the client's mistake, and any client could fill the log with them. Nothing else is caught
//    here: any other exception stays a 500 from ASP.NET Core's handler and is logged, because it
//    is a bug, not an answer.
//  - A response that has started cannot be changed; such a request is left to fail.
using DotNext.Net.Cluster.Consensus.Raft;
using KvDb.Contracts;
using KvDb.Node.Raft;
using KvDb.Node.Writes;
using Microsoft.AspNetCore.Diagnostics;

namespace KvDb.Node.HttpKit;

/// <summary>Maps kvdb's expected failures to problem details.</summary>
public sealed class ProblemExceptionHandler : IExceptionHandler
{
    /// <inheritdoc/>
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var result = exception switch
        {
            FeatureUnavailableException feature => Problems.FeatureUnavailable(feature),
            UnavailableException unavailable => Problems.Unavailable(httpContext, unavailable),
            NotLeaderException => Problems.Unavailable(httpContext, new UnavailableException("This member is not the leader.")),
            InsufficientStorageException storage => Problems.InsufficientStorage(storage),
            BadHttpRequestException badRequest => Problems.Of(badRequest.StatusCode, ProblemTitles.BadRequest, badRequest.Message),
            _ => null,
        };
        if (result is null || httpContext.Response.HasStarted)
            return false;

        await result.ExecuteAsync(httpContext);
        return true;
    }
}
