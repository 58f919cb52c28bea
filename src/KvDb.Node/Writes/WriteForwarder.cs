// Sends a follower's batch of writes to the leader's peer port and reads back one result per
// command. The leader's peer URL is its Raft address, so nothing needs to be looked up first.
// Wire format (internal, little-endian):
//   request:  a LogEntryCodec payload (the batch of commands), media type application/x-kvdb-batch
//   response: per command, in order: index i64 | outcome u8 | revision i64 | replayed u8
// Invariants: the leader proposes forwarded commands with mayForward=false, so nothing is
// passed on twice (no forwarding loops while leadership moves); a leader that stepped down
// answers 503 and the follower's batcher retries or reports an unknown outcome.
using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using KvDb.Core.Commands;

namespace KvDb.Node.Writes;

/// <summary>Forwards batches of writes to the leader.</summary>
public interface IWriteForwarder
{
    /// <summary>Sends <paramref name="commands"/> to the leader at <paramref name="leader"/> and returns one result per command.</summary>
    Task<ProposalResult[]> ForwardAsync(Uri leader, KvCommand[] commands, CancellationToken token);
}

/// <summary>Forwards batches over HTTP to the leader's peer port.</summary>
public sealed class WriteForwarder(PeerClient peers) : IWriteForwarder
{
    /// <summary>The peer endpoint a leader accepts forwarded batches at.</summary>
    public const string Path = "/internal/v1/propose";

    /// <summary>The media type of forwarded batches.</summary>
    public const string MediaType = "application/x-kvdb-batch";

    private const int ResultSize = sizeof(long) + 1 + sizeof(long) + 1;

    /// <inheritdoc/>
    public async Task<ProposalResult[]> ForwardAsync(Uri leader, KvCommand[] commands, CancellationToken token)
    {
        using var content = new ByteArrayContent(LogEntryCodec.Encode(commands, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        content.Headers.ContentType = new MediaTypeHeaderValue(MediaType);
        using var response = await peers.Http.PostAsync(new Uri(leader, Path), content, token).ConfigureAwait(false);
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
}
