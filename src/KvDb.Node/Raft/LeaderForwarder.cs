// Talks to the leader's peer port on behalf of a follower: forwards batches of writes, and
// asks for read indices for linearizable reads. The leader's peer URL is its Raft address, so
// nothing needs to be looked up first.
// Wire format (internal, little-endian):
//   propose    request: a LogEntryCodec payload (the batch of commands)
//              response: per command, in order: index i64 | outcome u8 | revision i64 | replayed u8
//   read-index response: index i64 (the leader has confirmed leadership and applied it)
// Invariants: the leader proposes forwarded commands with mayForward=false and answers a
// read-index request only as leader, so nothing is passed on twice (no forwarding loops
// while leadership moves); a leader that stepped down answers 503 and the follower retries.
using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using DotNext.Net.Cluster;
using KvDb.Core.Commands;
using Microsoft.AspNetCore.Connections;

namespace KvDb.Node.Raft;

/// <summary>Forwards proposals from a follower to the current leader.</summary>
public sealed class LeaderForwarder : IDisposable
{
    /// <summary>The internal endpoint a leader accepts forwarded batches at.</summary>
    public const string ProposePath = "/internal/v1/propose";

    /// <summary>The internal endpoint a leader answers read-index requests at.</summary>
    public const string ReadIndexPath = "/internal/v1/read-index";

    /// <summary>The media type of forwarded batches.</summary>
    public const string MediaType = "application/x-kvdb-batch";

    private const int ResultSize = sizeof(long) + 1 + sizeof(long) + 1;

    private readonly HttpClient client = new(new SocketsHttpHandler
    {
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
        MaxConnectionsPerServer = 64,
        ConnectTimeout = TimeSpan.FromSeconds(2),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>Sends <paramref name="commands"/> to <paramref name="leader"/> and returns one result per command.</summary>
    public async Task<ProposalResult[]> ForwardAsync(IClusterMember leader, KvCommand[] commands, CancellationToken token)
    {
        var target = new Uri(PeerUri(leader), ProposePath);
        using var content = new ByteArrayContent(LogEntryCodec.Encode(commands, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        content.Headers.ContentType = new MediaTypeHeaderValue(MediaType);
        using var response = await client.PostAsync(target, content, token).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.ServiceUnavailable)
            throw new UnavailableException("The leader could not commit the write (it may be stepping down); retry.", outcomeUnknown: true);
        if (response.StatusCode is HttpStatusCode.InsufficientStorage)
            throw new InsufficientStorageException(await ProblemDetailAsync(response, token).ConfigureAwait(false) ?? "The leader's disk is below its --min-free-disk reserve; the write was not applied.");
        response.EnsureSuccessStatusCode();

        var body = await response.Content.ReadAsByteArrayAsync(token).ConfigureAwait(false);
        if (body.Length != commands.Length * ResultSize)
            throw new HttpRequestException($"The leader answered {body.Length} bytes for {commands.Length} command(s).");
        return DecodeResults(body);
    }

    /// <summary>Asks <paramref name="leader"/> for an index that covers every write acknowledged so far.</summary>
    /// <exception cref="UnavailableException">The member is not the leader (any more).</exception>
    public async Task<long> ReadIndexAsync(IClusterMember leader, CancellationToken token)
    {
        var target = new Uri(PeerUri(leader), ReadIndexPath);
        using var response = await client.PostAsync(target, content: null, token).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.ServiceUnavailable)
            throw new UnavailableException("The member asked for a read index is not the leader any more.");
        response.EnsureSuccessStatusCode();

        var body = await response.Content.ReadAsByteArrayAsync(token).ConfigureAwait(false);
        if (body.Length != sizeof(long))
            throw new HttpRequestException($"The leader answered {body.Length} bytes for a read index.");
        return BinaryPrimitives.ReadInt64LittleEndian(body);
    }

    // The "detail" of a problem-details answer, or null when there is none.
    private static async Task<string?> ProblemDetailAsync(HttpResponseMessage response, CancellationToken token)
    {
        try
        {
            using var problem = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false), cancellationToken: token).ConfigureAwait(false);
            return problem.RootElement.ValueKind is JsonValueKind.Object && problem.RootElement.TryGetProperty("detail", out var detail) && detail.ValueKind is JsonValueKind.String
                ? detail.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Encodes a read index for the response to a read-index request.</summary>
    public static byte[] EncodeReadIndex(long index)
    {
        var body = new byte[sizeof(long)];
        BinaryPrimitives.WriteInt64LittleEndian(body, index);
        return body;
    }

    private static Uri PeerUri(IClusterMember leader) => leader.EndPoint is UriEndPoint { Uri: var uri }
        ? uri
        : throw new UnavailableException($"The leader's address {leader.EndPoint} is not a peer URL.");

    /// <summary>Encodes results for the response to a forwarded batch.</summary>
    public static byte[] EncodeResults(IReadOnlyList<ProposalResult> results)
    {
        var body = new byte[results.Count * ResultSize];
        for (var i = 0; i < results.Count; i++)
        {
            var slot = body.AsSpan(i * ResultSize, ResultSize);
            BinaryPrimitives.WriteInt64LittleEndian(slot, results[i].Index);
            slot[sizeof(long)] = (byte)results[i].Outcome;
            BinaryPrimitives.WriteInt64LittleEndian(slot[(sizeof(long) + 1)..], results[i].Revision);
            slot[^1] = results[i].Replayed ? (byte)1 : (byte)0;
        }

        return body;
    }

    private static ProposalResult[] DecodeResults(byte[] body)
    {
        var results = new ProposalResult[body.Length / ResultSize];
        for (var i = 0; i < results.Length; i++)
        {
            var slot = body.AsSpan(i * ResultSize, ResultSize);
            results[i] = new(BinaryPrimitives.ReadInt64LittleEndian(slot), (CommandOutcome)slot[sizeof(long)],
                BinaryPrimitives.ReadInt64LittleEndian(slot[(sizeof(long) + 1)..]), slot[^1] is not 0);
        }

        return results;
    }

    /// <inheritdoc/>
    public void Dispose() => client.Dispose();
}
