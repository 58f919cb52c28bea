// HTTP/1.1 and HTTP/2 with prior knowledge on one cleartext port. Kestrel picks HTTP/2 on a
// plain connection only when HTTP/1.1 is off, because without TLS there is no ALPN to say which
// one the client speaks. S2's Node SDK needs both on one address (unary calls over HTTP/1.1,
// sessions over h2c), so this connection middleware reads the first bytes: a client that opens
// with HTTP/2's connection preface ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", which no HTTP/1 request
// can start with) gets HTTP/2 as its connection's protocols, the rest HTTP/1.1 as the listener's.
// Invariants:
//  - Nothing is consumed: the bytes read are left for Kestrel's own parser.
//  - A connection is decided as soon as its bytes leave the preface, so an HTTP/1.1 client waits
//    for nothing; one that sends nothing (or part of the preface) and stalls is handed to
//    Kestrel after 30 s, Kestrel's own request-headers timeout, or when it closes.
//  - The per-connection protocols are Kestrel's own feature for that (HttpProtocolsFeature, set
//    by its TLS handshake callbacks), which is internal: it is found by name once. Without it
//    (another Kestrel) the port stays HTTP/1.1 only and Available says so; the h2c test fails.
using System.Buffers;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace KvDb.Node.HttpKit;

/// <summary>Serves HTTP/2 with prior knowledge beside HTTP/1.1 on a cleartext listener.</summary>
public static class CleartextHttp2
{
    private static readonly TimeSpan FirstBytesTimeout = TimeSpan.FromSeconds(30);

    private static readonly (Type Type, object Http2)? ProtocolsFeature = FindProtocolsFeature();

    private static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    /// <summary>Whether this Kestrel lets a connection choose HTTP/2 (false: plain ports serve HTTP/1.1 only).</summary>
    public static bool Available => ProtocolsFeature is not null;

    /// <summary>Lets <paramref name="listen"/> (plain HTTP/1.1) take HTTP/2 clients that open with the preface.</summary>
    public static void Serve(ListenOptions listen)
    {
        if (ProtocolsFeature is not { } feature)
            return;
        listen.Use(next => async connection =>
        {
            if (await OpensWithPrefaceAsync(connection))
                connection.Features[feature.Type] = feature.Http2;
            await next(connection);
        });
    }

    private static (Type, object)? FindProtocolsFeature()
    {
        var type = typeof(KestrelServerOptions).Assembly.GetType("Microsoft.AspNetCore.Server.Kestrel.Core.Internal.HttpProtocolsFeature");
        return type?.GetConstructor([typeof(HttpProtocols)]) is { } constructor ? (type, constructor.Invoke([HttpProtocols.Http2])) : null;
    }

    private static async Task<bool> OpensWithPrefaceAsync(ConnectionContext connection)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        wait.CancelAfter(FirstBytesTimeout);
        try
        {
            return await ReadPrefaceAsync(connection, wait.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<bool> ReadPrefaceAsync(ConnectionContext connection, CancellationToken cancel)
    {
        var input = connection.Transport.Input;
        while (true)
        {
            var result = await input.ReadAsync(cancel);
            var buffer = result.Buffer;
            if (Compare(buffer) is { } verdict)
            {
                // Nothing consumed or examined: Kestrel's first read returns these bytes at once.
                input.AdvanceTo(buffer.Start);
                return verdict;
            }

            // A prefix of the preface so far: wait for more than these bytes.
            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
                return false;
        }
    }

    // True: the preface; false: not it; null: a prefix of it so far.
    private static bool? Compare(ReadOnlySequence<byte> buffer)
    {
        var length = (int)long.Min(buffer.Length, Preface.Length);
        Span<byte> head = stackalloc byte[length];
        buffer.Slice(0, length).CopyTo(head);
        if (!Preface[..length].SequenceEqual(head))
            return false;
        return length == Preface.Length ? true : null;
    }
}
