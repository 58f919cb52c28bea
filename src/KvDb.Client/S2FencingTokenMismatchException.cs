// An S2 append whose fencing_token was not the stream's (412 fencing_token_mismatch): nothing
// was appended; S2 answers the stream's token.

namespace KvDb.Client;

/// <summary>An S2 append's <see cref="S2AppendOptions.FencingToken"/> was not the stream's; nothing was appended.</summary>
public sealed class S2FencingTokenMismatchException : KvException
{
    /// <summary>Makes the exception.</summary>
    /// <param name="expectedFencingToken">The stream's fencing token.</param>
    /// <param name="title">The problem's title.</param>
    /// <param name="detail">The problem's detail.</param>
    public S2FencingTokenMismatchException(string expectedFencingToken, string? title, string? detail)
        : base(System.Net.HttpStatusCode.PreconditionFailed, title, detail)
    {
        ExpectedFencingToken = expectedFencingToken;
    }

    /// <summary>The stream's fencing token (empty when it has none).</summary>
    public string ExpectedFencingToken { get; }
}
