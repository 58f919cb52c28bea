// S2's records on kvdb's list items; the basin comes from the s2-basin header:
//   POST /v1/streams/{stream}/records        append a batch (JSON, or protobuf); 200 with the ack
//   GET  /v1/streams/{stream}/records        read (JSON, protobuf, or Server-Sent Events)
//   GET  /v1/streams/{stream}/records/tail   the next sequence number and last timestamp
// Invariants:
//  - An append is one command in one Raft entry, acknowledged after it commits and applies; its
//    conditions are checked at its place in the log, so a 412 means nothing was written.
//  - Reads are linearizable: the first view waits for a read barrier; a following read then
//    reads this member's applied state, which only moves forward.
//  - Appending needs write access to "{basin}/{stream}", reading read access; an SSE reader's
//    access is re-checked before each event and the stream ends with an error event once lost.
using System.Text;
using KvDb.Contracts;
using KvDb.Core.Auth;
using KvDb.Core.Commands;
using KvDb.Core.Lists;
using KvDb.Core.State;
using KvDb.Core.Streams;
using KvDb.Node.Auth;
using KvDb.Node.HttpKit;
using KvDb.Node.Lists;
using KvDb.Node.OpenApi;
using KvDb.Node.Raft;

namespace KvDb.Node.Streams;

/// <summary>Maps the record endpoints.</summary>
public static partial class RecordEndpoints
{
    /// <summary>The largest append body: 1 MiB metered, base64's growth and JSON's framing.</summary>
    public const int MaxAppendBody = 3 << 20;

    /// <summary>Maps the record endpoints.</summary>
    public static void MapRecordEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/streams/{stream}/records", AppendAsync).Allow(AccessRule.Keys)
            .WithTags("s2").WithName("s2Append").WithSummary("S2: append a batch of 1 to 1000 records (JSON, or application/protobuf), with match_seq_num and fencing_token.")
            .DescribeBody(typeof(S2AppendInputJson), "application/json", S2Protobuf.MediaType)
            .Produces<S2AppendAckJson>(StatusCodes.Status200OK, "application/json", S2Protobuf.MediaType)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        app.MapGet("/v1/streams/{stream}/records", ReadAsync).Allow(AccessRule.Keys)
            .WithTags("s2").WithName("s2Read").WithSummary("S2: read records (JSON, application/protobuf, or text/event-stream to follow the stream).")
            .WithQuery("seq_num", "Start at this sequence number.").WithQuery("timestamp", "Start at the first record at or after this time (ms).")
            .WithQuery("tail_offset", "Start this many records before the tail (the default: 0).").WithQuery("clamp", "true: a start past the tail starts at the tail.")
            .WithQuery("count", "The most records.").WithQuery("bytes", "The most metered bytes.").WithQuery("until", "Stop before this timestamp.")
            .WithQuery("wait", "Seconds to wait for records at the tail.")
            .Produces<S2ReadBatchJson>(StatusCodes.Status200OK, "application/json", S2Protobuf.MediaType, "text/event-stream")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status416RangeNotSatisfiable)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        app.MapGet("/v1/streams/{stream}/records/tail", TailAsync).Allow(AccessRule.Keys)
            .WithTags("s2").WithName("s2CheckTail").WithSummary("S2: the stream's next sequence number and last timestamp.")
            .Produces<S2TailJson>(StatusCodes.Status200OK).ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> AppendAsync(HttpContext context, KvService kv, StreamAccess streams)
    {
        var (basin, stream, error) = StreamEndpoints.Target(context);
        if (error is not null)
            return error;
        if (KeyAccess.Denied(context, Access.Write, S2Names.AccessKey(basin!, stream!)) is not null)
            return S2Error.Denied($"appending to stream `{stream}` needs write access to '{basin}/{stream}'");
        var contentType = context.Request.ContentType ?? "";
        if (contentType.StartsWith(S2sFrames.MediaType, StringComparison.OrdinalIgnoreCase))
            return new AppendSession(kv, streams, basin!, stream!);
        var body = await RequestBody.ReadAsync(context, MaxAppendBody);
        if (body is null)
            return new S2Error(413, "invalid", $"an append body is at most {MaxAppendBody} bytes");

        StreamRecordInput[]? records;
        long? match;
        string? token;
        if (IsProtobuf(contentType))
        {
            var (append, bad) = S2Protobuf.ReadAppend(body);
            if (append is null)
                return S2Error.BadProto($"the body is not an AppendInput: {bad}");
            (records, error) = S2Records.FromProto(append);
            (match, token) = (append.MatchSeqNum, append.FencingToken);
        }
        else
        {
            if (!contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) && !contentType.Contains("+json", StringComparison.OrdinalIgnoreCase))
                return S2Error.BadJson("an append is application/json or application/protobuf");
            var (format, badFormat) = S2Records.FormatOf(context.Request);
            if (badFormat is not null)
                return badFormat;
            S2AppendInputJson input;
            try
            {
                input = ContractJson.Read(body, S2JsonContext.Default.S2AppendInputJson);
            }
            catch (ContractFormatException e)
            {
                return S2Error.BadJson(e.NotJson ? $"the body is not JSON: {e.Reason}" : $"`{e.Path}` should be {e.Expected}");
            }

            (records, error) = S2Records.FromJson(input.Records, format);
            (match, token) = (input.MatchSeqNum, input.FencingToken);
        }

        if (records is null)
            return error!;
        var (reply, refused) = await ProposeAsync(kv, basin!, stream!, records, match, token, context.RequestAborted);
        if (reply is null)
            return refused!;
        if (WantsProtobuf(context.Request))
            return Results.Bytes(S2Protobuf.WriteAck(reply.StartSeqNum, reply.StartTimestamp, reply.EndSeqNum, reply.EndTimestamp, reply.TailSeqNum, reply.TailTimestamp), S2Protobuf.MediaType);
        return Results.Json(
            new S2AppendAckJson
            {
                Start = new(reply.StartSeqNum, reply.StartTimestamp),
                End = new(reply.EndSeqNum, reply.EndTimestamp),
                Tail = new(reply.TailSeqNum, reply.TailTimestamp),
            },
            S2JsonContext.Default.S2AppendAckJson);
    }

    /// <summary>Proposes one append and maps its answer: the reply, or the S2 error (nothing written).</summary>
    internal static async Task<(StreamAppendReply? Reply, S2Error? Error)> ProposeAsync(KvService kv, string basin, string stream, StreamRecordInput[] records, long? match, string? token, CancellationToken cancel)
    {
        if (token is not null && Encoding.UTF8.GetByteCount(token) > S2Records.MaxFencingTokenBytes)
            return (null, S2Error.Invalid($"a fencing token is at most {S2Records.MaxFencingTokenBytes} bytes"));
        if (match is < 0)
            return (null, S2Error.Invalid("match_seq_num is not negative"));
        var result = await kv.WriteAsync(new StreamAppendCommand { Basin = basin, Stream = stream, Records = records, MatchSeqNum = match, FencingToken = token }, cancel);
        var reply = StreamAppendReply.Decode(result.Reply!);
        switch (reply.Status)
        {
            case StreamAppendStatus.BasinNotFound:
                return (null, S2Error.BasinNotFound(basin));
            case StreamAppendStatus.StreamNotFound:
                return (null, S2Error.StreamNotFound(basin, stream));
            case StreamAppendStatus.FencingTokenMismatch:
                StreamInstruments.AppendConditionsFailed.Add(1);
                return (null, S2Error.FencingTokenMismatch(reply.FencingToken ?? ""));
            case StreamAppendStatus.SeqNumMismatch:
                StreamInstruments.AppendConditionsFailed.Add(1);
                return (null, S2Error.SeqNumMismatch(reply.TailSeqNum));
            case StreamAppendStatus.TimestampRequired:
                return (null, S2Error.Invalid("the stream's timestamping mode is client-require: every record needs a timestamp"));
        }

        StreamInstruments.RecordsAppended.Add(records.Length);
        StreamInstruments.BytesAppended.Add(records.Sum(static r => RecordHeaders.MeteredSize(r.Headers, r.Body.Length)));
        return (reply, null);
    }

    private static async Task<IResult> TailAsync(HttpContext context, KvService kv)
    {
        var (basin, stream, error) = StreamEndpoints.Target(context);
        if (error is not null)
            return error;
        if (KeyAccess.Denied(context, Access.Read, S2Names.AccessKey(basin!, stream!)) is not null)
            return S2Error.Denied($"reading stream `{stream}` needs read access to '{basin}/{stream}'");
        var (meta, missing) = await OpenAsync(context, kv, basin!, stream!);
        return meta is null ? missing! : Results.Json(new S2TailJson { Tail = Tail(meta.Value) }, S2JsonContext.Default.S2TailJson);
    }

    // The stream's metadata as of a linearizable read, creating it first when the basin creates
    // streams on read.
    private static async Task<(ListMeta? Meta, S2Error? Error)> OpenAsync(HttpContext context, KvService kv, string basin, string stream)
    {
        var key = Encoding.UTF8.GetBytes(stream);
        BasinConfig config;
        using (var view = await kv.OpenViewAsync(ReadConsistency.Linearizable, context.RequestAborted))
        {
            if (ListReader.Keyspace(view, basin) is null)
                return (null, S2Error.BasinNotFound(basin));
            if (ListReader.Meta(view, basin, key) is { } meta)
                return (meta, null);
            config = StreamStore.Basin(view, basin)?.Config ?? BasinConfig.Default;
        }

        if (!config.CreateStreamOnRead)
            return (null, S2Error.StreamNotFound(basin, stream));
        await kv.WriteAsync(new PutStreamCommand { Basin = basin, Stream = stream, Config = config.DefaultStreamConfig }, context.RequestAborted);
        using var after = await kv.OpenViewAsync(ReadConsistency.Local, context.RequestAborted);
        return ListReader.Meta(after, basin, key) is { } created ? (created, null) : (null, S2Error.StreamNotFound(basin, stream));
    }

    private static S2PositionJson Tail(ListMeta meta) => new(meta.NextOffset, meta.NextOffset > 0 ? meta.LastTimestampMs : 0);

    private static bool IsProtobuf(string? mediaType)
        => mediaType is not null && (mediaType.StartsWith(S2Protobuf.MediaType, StringComparison.OrdinalIgnoreCase) || mediaType.StartsWith("application/x-protobuf", StringComparison.OrdinalIgnoreCase));

    private static bool WantsProtobuf(HttpRequest request) => IsProtobuf(FirstAccepted(request));

    private static string FirstAccepted(HttpRequest request) => request.Headers.Accept.ToString().Split(',')[0].Trim();
}
