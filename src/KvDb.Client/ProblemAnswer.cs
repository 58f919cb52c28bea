// Turns an answer that is not a success into what it means: kvdb's errors are RFC 7807 problem
// details (application/problem+json) with a title, a detail and sometimes an extension member
// (currentRevision on 412, compactRevision on 410, outcomeUnknown on 503).
// Invariants: at most MaxBodyBytes of the body are read; a body that is not problem details
// still yields an answer (status only, the text as detail), never an exception of its own.
using System.Net;
using System.Text;
using KvDb.Contracts;

namespace KvDb.Client;

/// <summary>The problem details of an error answer.</summary>
internal sealed record ProblemAnswer(HttpStatusCode Status, string? Title, string? Detail, long? CurrentRevision, long? CompactRevision, bool OutcomeUnknown)
{
    private const int MaxBodyBytes = 64 * 1024;

    /// <summary>Reads the problem details of <paramref name="response"/>.</summary>
    public static async ValueTask<ProblemAnswer> ReadAsync(HttpResponseMessage response, CancellationToken token)
        => Parse(response, (await ReadBodyAsync(response, token).ConfigureAwait(false)).Span);

    /// <summary>The first <see cref="MaxBodyBytes"/> of <paramref name="response"/>'s body, for answers whose extension members a caller reads itself.</summary>
    public static async ValueTask<ReadOnlyMemory<byte>> ReadBodyAsync(HttpResponseMessage response, CancellationToken token)
    {
        var body = new byte[MaxBodyBytes];
        var length = 0;
        using (var stream = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false))
        {
            int read;
            while (length < body.Length && (read = await stream.ReadAsync(body.AsMemory(length), token).ConfigureAwait(false)) > 0)
                length += read;
        }

        return body.AsMemory(0, length);
    }

    /// <summary>Reads the problem details of <paramref name="response"/> synchronously.</summary>
    public static ProblemAnswer Read(HttpResponseMessage response, CancellationToken token)
    {
        var body = new byte[MaxBodyBytes];
        var length = 0;
        using (var stream = response.Content.ReadAsStream(token))
        {
            int read;
            while (length < body.Length && (read = stream.Read(body.AsSpan(length))) > 0)
                length += read;
        }

        return Parse(response, body.AsSpan(0, length));
    }

    /// <summary>Parses <paramref name="body"/> as problem details; anything else becomes the detail text.</summary>
    public static ProblemAnswer Parse(HttpResponseMessage response, ReadOnlySpan<byte> body)
    {
        var status = response.StatusCode;
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is not null && mediaType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var problem = ContractJson.Read(body, KvDbJsonContext.Default.ProblemJson);
                return new ProblemAnswer(status, problem.Title, problem.Detail, problem.CurrentRevision, problem.CompactRevision, problem.OutcomeUnknown is true);
            }
            catch (ContractFormatException)
            {
                // Not problem details after all: keep the text below.
            }
        }

        var text = body.IsEmpty ? null : Encoding.UTF8.GetString(body).Trim();
        return new ProblemAnswer(status, response.ReasonPhrase, string.IsNullOrEmpty(text) ? null : text, null, null, false);
    }

    /// <summary>The exception this answer means for an operation on <paramref name="key"/>.</summary>
    public KvException ToException(string? key) => Status switch
    {
        HttpStatusCode.PreconditionFailed => new KvConditionFailedException(key ?? "", CurrentRevision ?? 0, Title, Detail),
        HttpStatusCode.Gone when CompactRevision is { } compacted => new KvCompactedException(compacted, Title, Detail),
        _ => new KvException(Status, Title, Detail),
    };
}
