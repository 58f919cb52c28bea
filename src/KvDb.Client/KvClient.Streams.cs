// Long-lived NDJSON streams (watches, list follows, election observations) that survive the
// loss of a member.
// Invariants:
//  - A stream that breaks, ends, or stays silent past its idle timeout is reopened, on another
//    member when there is one; the request is built anew each time from the caller's position,
//    so the caller resumes exactly after the last line it consumed and drops what it has seen.
//  - A line is only valid until the next one is asked for: callers parse it at once.
//  - A problem answer (anything but 200) ends the stream with the mapped exception; only
//    transport failures reconnect, and an error event with 401.
//  - An error event (problem details with "type": "error", which a member sends last when the
//    caller lost access) ends the stream with its problem as the exception, except a 401: that
//    says the credentials the stream was opened with no longer hold (its user's password or
//    roles changed, its token was revoked), and the client's own credentials may still do, so
//    the stream is reopened at once and the answer decides. Two 401 events in a row with
//    nothing between them end the stream with the second.
//  - Only the first opening fails fast when no member accepts (UnreachableTimeout); a reopening
//    keeps trying for the whole OperationTimeout, since the cluster was there a moment ago.
using System.Net;
using System.Runtime.CompilerServices;
using KvDb.Contracts;

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
        var unauthorizedEvents = 0;
        for (var connection = 0; ; connection++)
        {
            var (response, endpoint, headersTimeout) = await pipeline.OpenAsync(connection == 0 ? pipeline.Begin(operation) : pipeline.BeginResume(operation), request, token).ConfigureAwait(false);
            headersTimeout.Dispose();
            using (response)
            {
                if (response.StatusCode is not HttpStatusCode.OK)
                    throw (await ProblemAnswer.ReadAsync(response, token).ConfigureAwait(false)).ToException(problemKey);
                if (connection > 0)
                    metrics.WatchReconnect();
                KvClientLog.StreamOpened(logger, operation, subject, endpoint.BaseUri, position());

                Exception lost;
                var reopenAtOnce = false;
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

                    if (text.Span.StartsWith(ErrorEventStart))
                    {
                        var error = StreamError(text.Span, problemKey);
                        if (error.StatusCode is not HttpStatusCode.Unauthorized || ++unauthorizedEvents > 1)
                            throw error;
                        lost = error;
                        reopenAtOnce = true;
                        break;
                    }

                    if (!text.IsEmpty)
                    {
                        unauthorizedEvents = 0;
                        yield return text;
                    }
                }

                // Leave this member for a while, so the stream resumes on another when there is one.
                if (!reopenAtOnce)
                    endpoint.Failed(TimeSpan.FromMilliseconds(200), retryAfter: null);
                KvClientLog.StreamLost(logger, operation, subject, endpoint.BaseUri, lost.Message, position());
            }
        }
    }

    // Members write the error event's "type" first (KvDb.Contracts' ProblemJson and WatchEventTypes.Error).
    private static ReadOnlySpan<byte> ErrorEventStart => "{\"type\":\"error\""u8;

    // The exception an error event means: the problem details it carries, as if they had been the answer.
    private static KvException StreamError(ReadOnlySpan<byte> line, string? problemKey)
    {
        ProblemJson problem;
        try
        {
            problem = ContractJson.Read(line, KvDbJsonContext.Default.ProblemJson);
        }
        catch (ContractFormatException e)
        {
            // The answer itself was 200; what ended it could not be read.
            return new KvException(HttpStatusCode.OK, "Stream error", "The member ended the stream with an error event that could not be read.", e);
        }

        return new ProblemAnswer((HttpStatusCode)(problem.Status ?? (int)HttpStatusCode.OK), problem.Title, problem.Detail, problem.CurrentRevision, problem.CompactRevision, problem.OutcomeUnknown is true)
            .ToException(problemKey);
    }
}
