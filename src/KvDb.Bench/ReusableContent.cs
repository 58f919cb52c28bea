// A request body that one worker reuses for all its requests instead of allocating an
// HttpContent (and its headers) per request. Invariants:
//  - Owned by one worker, used by at most one request in flight: Set is called only between
//    requests, never while the previous one may still be writing (after a timeout or broken
//    connection the worker replaces its content instead of reusing it).
//  - Content-Length always equals the current body's length (set together with the body).
//  - Dispose is a no-op, so disposing a request message does not break the next request.
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Http.Headers;

namespace KvDb.Bench;

/// <summary>An <see cref="HttpContent"/> whose bytes can be swapped between requests.</summary>
public sealed class ReusableContent : HttpContent
{
    private ReadOnlyMemory<byte> body;

    /// <summary>A reusable body sent with <paramref name="mediaType"/> (e.g. application/json), or no Content-Type when null.</summary>
    public ReusableContent(string? mediaType)
    {
        if (mediaType is not null)
            Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        Headers.ContentLength = 0;
    }

    /// <summary>The bytes the next request sends.</summary>
    public ReadOnlyMemory<byte> Body => body;

    /// <summary>Makes the next request send <paramref name="bytes"/> (not copied: they must not change while in use).</summary>
    public void Set(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length != body.Length)
            Headers.ContentLength = bytes.Length;
        body = bytes;
    }

    /// <inheritdoc/>
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        => stream.WriteAsync(body).AsTask();

    /// <inheritdoc/>
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        => stream.WriteAsync(body, cancellationToken).AsTask();

    /// <inheritdoc/>
    protected override void SerializeToStream(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        => stream.Write(body.Span);

    /// <inheritdoc/>
    protected override bool TryComputeLength(out long length)
    {
        length = body.Length;
        return true;
    }

    /// <summary>Does nothing: the content outlives each request that carries it.</summary>
    [SuppressMessage("Usage", "CA2215:Dispose methods should call base class dispose", Justification = "HttpContent.Dispose would mark the content disposed, and the next request that reuses it would throw: not calling it is the point of this type.")]
    protected override void Dispose(bool disposing)
    {
    }
}
