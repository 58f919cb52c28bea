// An s2s append session (POST .../records with Content-Type s2s/proto): AppendInput frames in,
// one AppendAck frame out per input, in order; a failure ends the session with a terminal frame
// (S2's status and error JSON, 412 and 416 shapes included) after which nothing is read.
// Invariants:
//  - Inputs are appended one after another, each its own command and entry, so acks come in
//    input order and each ack's end is above the last.
//  - The response starts (200) before any input is read: S2's SDK waits for it.
//  - Access is re-checked before each input; a session whose writer lost it ends with 403.
//  - A client that closes its side ends the session once every input read has been answered.
//  - The session's body has no size cap or minimum rate (a producer may append for days and
//    pause for hours); each frame is capped at 2 MiB.
using KvDb.Core.Auth;
using KvDb.Node.Auth;
using KvDb.Node.HttpKit;
using KvDb.Node.Raft;
using KvDb.Node.Writes;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace KvDb.Node.Streams;

/// <summary>Runs one append session.</summary>
internal sealed class AppendSession(KvService kv, StreamAccess streams, string basin, string stream) : IResult
{
    /// <inheritdoc/>
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        // A session is one request body for as long as the client appends: Kestrel's body size
        // cap and minimum data rate are for requests that end. Each frame is still bounded.
        if (httpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = null;
        if (httpContext.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate)
            rate.MinDataRate = null;
        var response = httpContext.Response;
        var cancel = httpContext.RequestAborted;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = S2sFrames.MediaType;
        response.Headers.CacheControl = "no-cache, no-transform";
        await response.StartAsync(cancel);
        await response.Body.FlushAsync(cancel); // StartAsync only buffers the headers
        using var access = streams.Watch(httpContext, Access.Write, S2Names.AccessKey(basin, stream), null, singleKey: true);
        try
        {
            while (await NextAsync(httpContext, access, cancel) is { } answer)
            {
                await response.Body.WriteAsync(answer.Frame, cancel);
                await response.Body.FlushAsync(cancel);
                if (answer.Last)
                    return;
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
        }
        catch (BadHttpRequestException e)
        {
            await response.Body.WriteAsync(S2sFrames.TerminalOf(new S2Error(e.StatusCode, "bad_frame", e.Message)), cancel);
        }
    }

    // The answer to the next input (an ack, or the terminal frame), or null when the client is done.
    private async Task<(byte[] Frame, bool Last)?> NextAsync(HttpContext context, AccessWatch access, CancellationToken cancel)
    {
        var (frame, error) = await S2sFrames.ReadAsync(context.Request.BodyReader, cancel);
        if (frame is null && error is null)
            return null;
        if (access.Check() is { } loss)
            error = S2Error.Denied(loss.Detail);
        if (error is null)
        {
            var (input, bad) = S2Protobuf.ReadAppend(frame!.Payload);
            var (records, invalid) = input is null ? (null, S2Error.BadProto($"a frame is not an AppendInput: {bad}")) : S2Records.FromProto(input);
            error = invalid;
            if (records is not null)
            {
                try
                {
                    var (reply, refused) = await RecordEndpoints.ProposeAsync(kv, basin, stream, records, input!.MatchSeqNum, input.FencingToken, cancel);
                    if (reply is not null)
                        return (S2sFrames.Regular(S2Protobuf.WriteAck(reply.StartSeqNum, reply.StartTimestamp, reply.EndSeqNum, reply.EndTimestamp, reply.TailSeqNum, reply.TailTimestamp)), false);
                    error = refused;
                }
                catch (UnavailableException e)
                {
                    error = new S2Error(StatusCodes.Status503ServiceUnavailable, "unavailable", e.Message);
                }
                catch (InsufficientStorageException e)
                {
                    error = new S2Error(StatusCodes.Status507InsufficientStorage, "storage", e.Message);
                }
            }
        }

        return (S2sFrames.TerminalOf(error!), true);
    }
}
