// Sends a follower's batch of writes to the leader's peer port and reads back one result per
// command. The leader's peer URL is its Raft address, so nothing needs to be looked up first.
// Wire format (internal, little-endian):
//   request:  a LogEntryCodec payload (the batch of commands), media type application/x-kvdb-batch
//   response: per command, in order: index i64 | outcome u8 | revision i64 | replayed u8, then
//             in format 2: reply length i32 (-1: none) | reply bytes (a transaction's answer)
//   The follower asks for format 2 with X-Kvdb-Results-Format: 2, and a leader that speaks it
//   answers with the same header. Without it, both sides use the earlier release's 18-byte
//   results, so members of the two releases forward to each other during a rolling upgrade
//   (commands of the earlier release have no replies to lose).
// Invariants: the leader proposes forwarded commands with mayForward=false, so nothing is
// passed on twice (no forwarding loops while leadership moves); a leader that stepped down
// answers 503 and the follower's batcher retries or reports an unknown outcome.
using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using KvDb.Core.Commands;
using KvDb.Node.Raft;

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

    /// <summary>The header that asks for, and answers in, results with replies (format 2).</summary>
    public const string ResultsFormatHeader = "X-Kvdb-Results-Format";

    /// <summary>The value of <see cref="ResultsFormatHeader"/> for results with replies.</summary>
    public const string WithReplies = "2";

    private const int FixedSize = sizeof(long) + 1 + sizeof(long) + 1;

    private const int ReplyLengthSize = sizeof(int);

    /// <inheritdoc/>
    public async Task<ProposalResult[]> ForwardAsync(Uri leader, KvCommand[] commands, CancellationToken token)
    {
        using var content = new ByteArrayContent(LogEntryCodec.Encode(commands, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        content.Headers.ContentType = new MediaTypeHeaderValue(MediaType);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(leader, Path)) { Content = content };
        request.Headers.Add(ResultsFormatHeader, WithReplies);
        using var response = await peers.Http.SendAsync(request, token).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.ServiceUnavailable)
            throw new UnavailableException("The leader could not commit the write (it may be stepping down); retry.", outcomeUnknown: true);
        if (response.StatusCode is HttpStatusCode.InsufficientStorage)
            throw new InsufficientStorageException(await ProblemDetailAsync(response, token).ConfigureAwait(false) ?? "The leader's disk is below its --min-free-disk reserve; the write was not applied.");
        if (response.StatusCode is HttpStatusCode.Conflict)
        {
            // The leader's view of the cluster version refused a command this member let through
            // (its applied state lags); nothing of the batch was proposed, so a retry is safe.
            throw new UnavailableException($"The leader refused the batch: {await ProblemDetailAsync(response, token).ConfigureAwait(false) ?? "a command not every member can apply"}; nothing was applied.");
        }

        response.EnsureSuccessStatusCode();

        var body = await response.Content.ReadAsByteArrayAsync(token).ConfigureAwait(false);
        var withReplies = response.Headers.TryGetValues(ResultsFormatHeader, out var format) && format.Contains(WithReplies);
        return DecodeResults(body, commands.Length, withReplies) ?? throw new HttpRequestException($"The leader answered {body.Length} bytes that are not {commands.Length} result(s).");
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

    /// <summary>Encodes results for the response to a forwarded batch; without <paramref name="withReplies"/>, in the earlier release's format (replies left out).</summary>
    public static byte[] EncodeResults(IReadOnlyList<ProposalResult> results, bool withReplies)
    {
        var slotSize = withReplies ? FixedSize + ReplyLengthSize : FixedSize;
        var size = 0;
        foreach (var result in results)
            size += slotSize + (withReplies ? result.Reply?.Length ?? 0 : 0);
        var body = new byte[size];
        var at = 0;
        foreach (var result in results)
        {
            var slot = body.AsSpan(at, slotSize);
            BinaryPrimitives.WriteInt64LittleEndian(slot, result.Index);
            slot[sizeof(long)] = (byte)result.Outcome;
            BinaryPrimitives.WriteInt64LittleEndian(slot[(sizeof(long) + 1)..], result.Revision);
            slot[2 * sizeof(long) + 1] = result.Replayed ? (byte)1 : (byte)0;
            at += slotSize;
            if (!withReplies)
                continue;
            BinaryPrimitives.WriteInt32LittleEndian(slot[FixedSize..], result.Reply?.Length ?? -1);
            result.Reply?.CopyTo(body.AsSpan(at));
            at += result.Reply?.Length ?? 0;
        }

        return body;
    }

    /// <summary>Decodes the leader's results; null when the body is not exactly <paramref name="count"/> of them.</summary>
    internal static ProposalResult[]? DecodeResults(byte[] body, int count, bool withReplies)
    {
        var slotSize = withReplies ? FixedSize + ReplyLengthSize : FixedSize;
        var results = new ProposalResult[count];
        var at = 0;
        for (var i = 0; i < count; i++)
        {
            if (body.Length - at < slotSize)
                return null;
            var slot = body.AsSpan(at, slotSize);
            at += slotSize;
            byte[]? reply = null;
            if (withReplies)
            {
                var replyLength = BinaryPrimitives.ReadInt32LittleEndian(slot[FixedSize..]);
                if (replyLength < -1 || replyLength > body.Length - at)
                    return null;
                reply = replyLength < 0 ? null : body.AsSpan(at, replyLength).ToArray();
                at += Math.Max(replyLength, 0);
            }

            results[i] = new(BinaryPrimitives.ReadInt64LittleEndian(slot), (CommandOutcome)slot[sizeof(long)],
                BinaryPrimitives.ReadInt64LittleEndian(slot[(sizeof(long) + 1)..]), slot[2 * sizeof(long) + 1] is not 0, reply);
        }

        return at == body.Length ? results : null;
    }
}
