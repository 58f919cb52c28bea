// Moves snapshot archives between members over their peer ports. The Raft snapshot message
// only names the archive (SnapshotDescriptor): DotNext bounds each Raft request by a deadline
// below the election timeout, which a large state could never meet.
// Invariants: a fetch has no overall deadline (it ends, fails, or is cancelled at shutdown); the
// serving member streams exactly the flush point the descriptor names, or answers 410.
using KvDb.Core.Snapshots;
using KvDb.Node.Raft;

namespace KvDb.Node.Snapshots;

/// <summary>Fetches snapshot archives from other members, and serves this member's.</summary>
public sealed class SnapshotTransfer(PeerClient peers)
{
    /// <summary>The peer endpoint serving archives: this prefix plus the snapshot's index.</summary>
    public const string PathPrefix = "/internal/v1/snapshots/";

    /// <summary>Opens the archive <paramref name="descriptor"/> names, streaming from the member that serves it.</summary>
    /// <exception cref="HttpRequestException">The member is unreachable or no longer serves that snapshot.</exception>
    public async Task<Stream> FetchAsync(SnapshotDescriptor descriptor, CancellationToken token)
    {
        var uri = new Uri(new Uri(descriptor.SourceUrl), PathPrefix + descriptor.Index);
        var response = await peers.Http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            response.Dispose();
            throw new HttpRequestException($"{uri} answered {(int)response.StatusCode}", null, response.StatusCode);
        }

        // Disposing the content stream releases the connection.
        return await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
    }
}
