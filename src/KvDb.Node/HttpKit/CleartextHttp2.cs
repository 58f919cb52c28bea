// HTTP/1.1 and HTTP/2 with prior knowledge on one cleartext port. Kestrel picks HTTP/2 on a
// plain connection only when HTTP/1.1 is off, because without TLS there is no ALPN to say which
// one the client speaks. S2's Node SDK needs both on one address (unary calls over HTTP/1.1,
// sessions over h2c), so this connection middleware reads the first bytes: a client that opens
// with HTTP/2's connection preface ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", which no HTTP/1 request
// can start with) gets the features Kestrel reads after a TLS handshake that chose "h2".
// Invariants:
//  - Nothing is consumed: the bytes read are left for Kestrel's own parser.
//  - A connection is decided as soon as its bytes leave the preface, so an HTTP/1.1 client waits
//    for nothing; one that sends nothing (or part of the preface) and stalls is handed to
//    Kestrel after 30 s, Kestrel's own request-headers timeout, or when it closes.
//  - The stand-in TLS feature carries no certificate; the scheme of an h2c request is its
//    :scheme ("http"), which needs KestrelServerOptions.AllowAlternateSchemes.
using System.Buffers;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace KvDb.Node.HttpKit;

/// <summary>Serves HTTP/2 with prior knowledge beside HTTP/1.1 on a cleartext listener.</summary>
public static class CleartextHttp2
{
    private static readonly TimeSpan FirstBytesTimeout = TimeSpan.FromSeconds(30);

    private static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    /// <summary>Lets <paramref name="listen"/> (plain HTTP) take HTTP/2 clients that open with the preface.</summary>
    public static void Serve(ListenOptions listen)
    {
        listen.Protocols = HttpProtocols.Http1AndHttp2;
        listen.Use(next => async connection =>
        {
            if (await OpensWithPrefaceAsync(connection))
            {
                connection.Features.Set<ITlsConnectionFeature>(NoCertificate.Instance);
                connection.Features.Set<ITlsApplicationProtocolFeature>(NoCertificate.Instance);
            }

            await next(connection);
        });
    }

    private static async Task<bool> OpensWithPrefaceAsync(ConnectionContext connection)
    {
        // A client that sends nothing is handed to Kestrel after its own request-headers
        // timeout would have passed, so it cannot hold a connection here for longer.
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

    private sealed class NoCertificate : ITlsConnectionFeature, ITlsApplicationProtocolFeature
    {
        public static readonly NoCertificate Instance = new();

        public X509Certificate2? ClientCertificate { get => null; set { } }

        public ReadOnlyMemory<byte> ApplicationProtocol => "h2"u8.ToArray();

        public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult<X509Certificate2?>(null);
    }
}
