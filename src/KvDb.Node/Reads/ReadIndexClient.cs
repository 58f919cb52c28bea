// Asks the leader's peer port for a read index (Raft's ReadIndex, for a follower's
// linearizable reads).
// Wire format (internal, little-endian): the response is the index, i64. The leader answers
// only as leader, after a heartbeat round acknowledged by a majority, once it has applied
// that index itself; a member that is not the leader answers 503.
using System.Buffers.Binary;
using System.Net;
using KvDb.Node.Raft;

namespace KvDb.Node.Reads;

/// <summary>Asks the leader for read indices.</summary>
public interface IReadIndexSource
{
    /// <summary>Asks the leader at <paramref name="leader"/> for an index that covers every write acknowledged so far.</summary>
    /// <exception cref="UnavailableException">The member is not the leader (any more).</exception>
    Task<long> ReadIndexAsync(Uri leader, CancellationToken token);
}

/// <summary>Asks over HTTP at the leader's peer port.</summary>
public sealed class ReadIndexClient(PeerClient peers) : IReadIndexSource
{
    /// <summary>The peer endpoint a leader answers read-index requests at.</summary>
    public const string Path = "/internal/v1/read-index";

    /// <summary>The media type of the answer.</summary>
    public const string MediaType = "application/x-kvdb-read-index";

    /// <inheritdoc/>
    public async Task<long> ReadIndexAsync(Uri leader, CancellationToken token)
    {
        using var response = await peers.Http.PostAsync(new Uri(leader, Path), content: null, token).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.ServiceUnavailable)
            throw new UnavailableException("The member asked for a read index is not the leader any more.");
        response.EnsureSuccessStatusCode();

        var body = await response.Content.ReadAsByteArrayAsync(token).ConfigureAwait(false);
        if (body.Length != sizeof(long))
            throw new HttpRequestException($"The leader answered {body.Length} bytes for a read index.");
        return BinaryPrimitives.ReadInt64LittleEndian(body);
    }

    /// <summary>Encodes a read index for the answer.</summary>
    public static byte[] Encode(long index)
    {
        var body = new byte[sizeof(long)];
        BinaryPrimitives.WriteInt64LittleEndian(body, index);
        return body;
    }
}
