// A watch asked for changes the history no longer holds (410, or a "compacted" event while
// streaming). The way on: range the keys again and watch after the range's revision.

namespace KvDb.Client;

/// <summary>A watch's revision is older than kvdb's change history: read the keys again and watch from the range's revision.</summary>
public sealed class KvCompactedException : KvException
{
    /// <summary>Makes the exception.</summary>
    /// <param name="compactRevision">The newest revision the history has forgotten.</param>
    /// <param name="title">The problem's title.</param>
    /// <param name="detail">The problem's detail.</param>
    public KvCompactedException(long compactRevision, string? title, string? detail)
        : base(System.Net.HttpStatusCode.Gone, title ?? "Revision compacted", detail ?? $"Changes up to revision {compactRevision} are no longer kept.")
    {
        CompactRevision = compactRevision;
    }

    /// <summary>Changes up to this revision are no longer kept; a watch must start after it.</summary>
    public long CompactRevision { get; }
}
