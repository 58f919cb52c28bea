// One concise Debug line per HTTP request ("GET /k -> 200 in 0.4 ms"), in place of ASP.NET
// Core's own request logging, which writes several lines per request.
// Invariants:
//  - Costs nothing unless Debug is enabled for this category (--log-level Debug or Trace).
//  - The line is written when the response is done, with the status the client got.
//  - Paths are cut at 200 characters: keys may be up to 4 KiB.
using System.Diagnostics;

namespace KvDb.Node.Observability;

/// <summary>Logs each HTTP request at Debug.</summary>
public sealed partial class RequestLogging(RequestDelegate next, ILogger<RequestLogging> logger)
{
    private const int MaxPathChars = 200;

    /// <summary>Runs the rest of the pipeline and logs the request.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        if (!logger.IsEnabled(LogLevel.Debug))
        {
            await next(context);
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var failed = false;
        try
        {
            await next(context);
        }
        catch
        {
            failed = true;
            throw;
        }
        finally
        {
            var request = context.Request;
            var target = request.Path.ToString() + request.QueryString.ToString();
            if (target.Length > MaxPathChars)
                target = target[..MaxPathChars] + "…";
#pragma warning disable CA1873 // Debug is enabled here: InvokeAsync returned at its start otherwise.
            LogRequest(request.Method, target, failed ? StatusCodes.Status500InternalServerError : context.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
#pragma warning restore CA1873
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Method} {Target} -> {Status} in {ElapsedMs:0.0} ms")]
    private partial void LogRequest(string method, string target, int status, double elapsedMs);
}
