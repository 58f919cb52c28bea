// Long-lived NDJSON streams (watches, list follows, election observations) that survive the
// loss of a member.
// Invariants:
//  - A stream that breaks, ends, or stays silent past its idle timeout is reopened, on another
//    member when there is one; the request is built anew each time from the caller's position,
//    so the caller resumes exactly after the last line it consumed and drops what it has seen.
//  - A line is only valid until the next one is asked for: callers parse it at once.
//  - A problem answer (anything but 200) ends the stream with the mapped exception; only
//    transport failures reconnect.
using System.Net;
using System.Runtime.CompilerServices;

namespace KvDb.Client;

public sealed partial class KvClient
{
    /// <summary>
    /// The lines of an NDJSON stream opened with <paramref name="request"/>, reopened whenever it is
    /// lost. <paramref name="position"/> says, for the logs, where the stream resumes from.
    /// </summary>
    private async IAsyncEnumerable<ReadOnlyMemory<byte>> FollowLinesAsync(
        string operation,
        string subject,
        RequestBuilder request,
        TimeSpan idleTimeout,
        Func<string> position,
        string? problemKey,
        [EnumeratorCancellation] CancellationToken token)
    {
        for (var connection = 0; ; connection++)
        {
            var (response, endpoint, headersTimeout) = await pipeline.OpenAsync(pipeline.Begin(operation), request, token).ConfigureAwait(false);
            headersTimeout.Dispose();
            using (response)
            {
                if (response.StatusCode is not HttpStatusCode.OK)
                    throw (await ProblemAnswer.ReadAsync(response, token).ConfigureAwait(false)).ToException(problemKey);
                if (connection > 0)
                    metrics.WatchReconnect();
                KvClientLog.StreamOpened(logger, operation, subject, endpoint.BaseUri, position());

                Exception lost;
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(token);
                using var lines = new NdjsonLineReader(await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false));
                while (true)
                {
                    ReadOnlyMemory<byte>? line;
                    idle.CancelAfter(idleTimeout);
                    try
                    {
                        line = await lines.ReadLineAsync(idle.Token).ConfigureAwait(false);
                    }
                    catch (Exception e) when (RequestPipeline.IsTransportFailure(e, token))
                    {
                        lost = e is OperationCanceledException ? new TimeoutException($"nothing arrived for {idleTimeout.TotalSeconds:0.#} s", e) : e;
                        break;
                    }

                    if (line is not { } text)
                    {
                        lost = new IOException("the member ended the stream");
                        break;
                    }

                    if (!text.IsEmpty)
                        yield return text;
                }

                // Leave this member for a while, so the stream resumes on another when there is one.
                endpoint.Failed(TimeSpan.FromMilliseconds(200), retryAfter: null);
                KvClientLog.StreamLost(logger, operation, subject, endpoint.BaseUri, lost.Message, position());
            }
        }
    }
}
