// An S2 append whose match_seq_num was not the stream's tail (412 seq_num_mismatch): nothing
// was appended. S2 answers the tail, so a writer can resynchronise without reading it again.

namespace KvDb.Client;

/// <summary>An S2 append's <see cref="S2AppendOptions.MatchSeqNum"/> did not match the stream's next sequence number; nothing was appended.</summary>
public sealed class S2SeqNumMismatchException : KvException
{
    /// <summary>Makes the exception.</summary>
    /// <param name="expectedSeqNum">The stream's next sequence number when the append was applied.</param>
    /// <param name="retried">Whether an earlier try of the same append may have been applied.</param>
    /// <param name="title">The problem's title.</param>
    /// <param name="detail">The problem's detail.</param>
    public S2SeqNumMismatchException(long expectedSeqNum, bool retried, string? title, string? detail)
        : base(System.Net.HttpStatusCode.PreconditionFailed, title, detail)
    {
        ExpectedSeqNum = expectedSeqNum;
        Retried = retried;
    }

    /// <summary>The stream's next sequence number (its tail) when the append was applied.</summary>
    public long ExpectedSeqNum { get; }

    /// <summary>
    /// True when the client sent the append again after a try whose outcome it could not learn:
    /// the mismatch may then be that earlier try's own records (the tail is MatchSeqNum plus the
    /// number of records). Read them to tell.
    /// </summary>
    public bool Retried { get; }
}
