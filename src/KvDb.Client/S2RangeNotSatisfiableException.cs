// An S2 read that starts past the stream's tail, or at it without waiting (416): S2 answers the
// tail, so a reader knows where the stream ends.
using KvDb.Contracts;

namespace KvDb.Client;

/// <summary>An S2 read started at or past the stream's tail (and could not wait or clamp).</summary>
public sealed class S2RangeNotSatisfiableException : KvException
{
    /// <summary>Makes the exception.</summary>
    /// <param name="tail">The stream's tail: its next sequence number and last timestamp.</param>
    /// <param name="title">The problem's title.</param>
    /// <param name="detail">The problem's detail.</param>
    public S2RangeNotSatisfiableException(S2PositionJson tail, string? title, string? detail)
        : base(System.Net.HttpStatusCode.RequestedRangeNotSatisfiable, title, detail)
    {
        Tail = tail;
    }

    /// <summary>The stream's tail: its next sequence number and last timestamp (Unix ms).</summary>
    public S2PositionJson Tail { get; }
}
