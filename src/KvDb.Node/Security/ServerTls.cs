// TLS on one of Kestrel's two ports: the certificate it serves (followed as its files change)
// and, when client certificates are required, the check of the one each caller presents.
// Invariants:
//  - The certificate is chosen per handshake, so a rotated
//    certificate is served from the next connection on; open connections keep theirs.
//  - With a client trust bundle the handshake fails unless the caller presents a certificate
//    that chains to it (CertificateCheck); the refusal is logged as one warning naming the port,
//    the remote address and the reason, at most once per address per 10 s.
//  - On the peer port, a caller's certificate that chains must also carry a name the
//    PeerCertificateNames rule allows (--peer-cert-allowed-cn/-hostname), when there is one.
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvDb.Node.Security;

/// <summary>Serves TLS on one port.</summary>
/// <param name="port">The port in words, for log lines: "client port", "peer port".</param>
/// <param name="certificate">The certificate to serve.</param>
/// <param name="clientTrust">The CA bundle client certificates must chain to; null when none is asked for.</param>
/// <param name="allowedNames">The names a client certificate must also carry; null for any.</param>
public sealed partial class ServerTls(string port, ReloadingFile<X509Certificate2> certificate, ReloadingFile<X509Certificate2Collection>? clientTrust, PeerCertificateNames? allowedNames = null)
{
    private readonly WarningLimiter warnings = new(TimeSpan.FromSeconds(10));
    private ILogger logger = NullLogger.Instance;
    private CertificateContext? context;

    /// <summary>Where refusals are logged.</summary>
    public ILogger Logger
    {
        get => logger;
        set => logger = value;
    }

    /// <summary>The certificate served.</summary>
    public ReloadingFile<X509Certificate2> Certificate => certificate;

    /// <summary>Makes <paramref name="listen"/> serve TLS.</summary>
    /// <remarks>
    /// Kestrel's HttpsConnectionAdapterOptions would choose the certificate per handshake too, but
    /// its client-certificate check sees neither the remote address nor a missing certificate (it
    /// fails those handshakes without asking, and its OnAuthenticate cannot replace the check), so
    /// the options of each handshake are made here, per connection.
    /// </remarks>
    public void Apply(ListenOptions listen, bool http2 = false)
    {
        List<SslApplicationProtocol> protocols = http2 ? [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11] : [SslApplicationProtocol.Http11];
        listen.UseHttps(new TlsHandshakeCallbackOptions
        {
            OnConnection = context =>
            {
                var remote = context.Connection.RemoteEndPoint;
                return ValueTask.FromResult(new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = CurrentContext(),
                    ApplicationProtocols = protocols,
                    ClientCertificateRequired = clientTrust is not null,
                    RemoteCertificateValidationCallback = clientTrust is null ? null : (_, presented, chain, _) => AcceptClient(presented, chain, remote),
                });
            },
        });
    }

    // The certificate with its chain, made once per loaded certificate rather than per handshake.
    private SslStreamCertificateContext CurrentContext()
    {
        var current = certificate.Current;
        var cached = Volatile.Read(ref context);
        if (cached is not null && ReferenceEquals(cached.Certificate, current))
            return cached.Context;
        var made = new CertificateContext(current, SslStreamCertificateContext.Create(current, additionalCertificates: null, offline: true));
        Volatile.Write(ref context, made);
        return made.Context;
    }

    /// <summary>True when the client certificate is acceptable; otherwise logs why (rate-limited) and returns false.</summary>
    public bool AcceptClient(X509Certificate? presented, X509Chain? chain, EndPoint? remote)
    {
        var problem = CertificateCheck.Problem(presented, chain, clientTrust?.Current, CertificateUse.Client, allowed: allowedNames);
        if (problem is null)
            return true;

        var address = remote is IPEndPoint ip ? ip.Address.ToString() : remote?.ToString() ?? "an unknown address";
        if (warnings.ShouldLog(address))
            LogRefused(port, remote?.ToString() ?? address, problem);
        return false;
    }

    private sealed record CertificateContext(X509Certificate2 Certificate, SslStreamCertificateContext Context);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The {Port} refused a TLS connection from {Remote}: {Reason}")]
    private partial void LogRefused(string port, string remote, string reason);
}
