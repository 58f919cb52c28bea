// The base of every error the client raises for an answer kvdb gave: its HTTP status and the
// RFC 7807 problem details (title, detail) of the answer.
// Invariant: StatusCode is the status of the answer that caused it; 0 when no member answered
// (KvUnavailableException).
using System.Net;

namespace KvDb.Client;

/// <summary>kvdb refused or failed a request; carries the answer's status and problem details.</summary>
public class KvException : Exception
{
    /// <summary>Makes an exception for an answer.</summary>
    /// <param name="statusCode">The HTTP status of the answer; 0 when none arrived.</param>
    /// <param name="title">The problem's title.</param>
    /// <param name="detail">The problem's detail: what happened and what to do.</param>
    /// <param name="innerException">The cause, if any.</param>
    public KvException(HttpStatusCode statusCode, string? title, string? detail, Exception? innerException = null)
        : base(Describe(statusCode, title, detail), innerException)
    {
        StatusCode = statusCode;
        Title = title;
        Detail = detail;
    }

    /// <summary>The HTTP status of the answer; 0 when no member answered.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>The problem's title (e.g. <c>Precondition failed</c>); null when the answer had none.</summary>
    public string? Title { get; }

    /// <summary>The problem's detail, which says what to do; null when the answer had none.</summary>
    public string? Detail { get; }

    private static string Describe(HttpStatusCode status, string? title, string? detail)
    {
        var head = status == 0 ? "kvdb" : $"kvdb answered {(int)status}";
        return (title, detail) switch
        {
            (null, null) => head,
            (_, null) => $"{head} {title}",
            (null, _) => $"{head}: {detail}",
            _ => $"{head} {title}: {detail}",
        };
    }
}
