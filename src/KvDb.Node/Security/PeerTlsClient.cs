// TLS for this member's own calls to other members' peer ports (DotNext's Raft messages and
// kvdb's /internal/ calls go through handlers made here).
// Invariants:
//  - An https peer's certificate must chain to --peer-trusted-ca-file and name the host in its
//    peer URL (CertificateCheck); without that file the system's roots decide. A refusal fails
//    the connection and is logged as one warning naming the peer host and the reason, at most
//    once per host and reason per 10 s (Raft retries every heartbeat).
//  - With --peer-cert-allowed-cn/-hostname the peer's certificate must also carry an allowed
//    name (PeerCertificateNames): the same rule the peer port applies to callers, so a
//    certificate from the CA that is not a member's can neither call a member nor pose as one.
//  - With --peer-cert-file this member presents its peer certificate when a peer asks for one
//    (--peer-client-cert-auth there); it is chosen per handshake, so rotation needs no restart.
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvDb.Node.Security;

/// <summary>Configures TLS on the handlers of member-to-member HTTP clients.</summary>
/// <param name="certificate">This member's peer certificate, presented when asked; null for none.</param>
/// <param name="trust">The CA bundle peers' certificates must chain to; null for the system's roots.</param>
/// <param name="allowedNames">The names a peer's certificate must also carry; null for any.</param>
public sealed partial class PeerTlsClient(ReloadingFile<X509Certificate2>? certificate, ReloadingFile<X509Certificate2Collection>? trust, PeerCertificateNames? allowedNames = null)
{
    private readonly WarningLimiter warnings = new(TimeSpan.FromSeconds(10));
    private ILogger logger = NullLogger.Instance;

    /// <summary>Where refusals are logged.</summary>
    public ILogger Logger
    {
        get => logger;
        set => logger = value;
    }

    /// <summary>Sets <paramref name="handler"/>'s TLS options; returns it.</summary>
    public SocketsHttpHandler Secure(SocketsHttpHandler handler)
    {
        handler.SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = AcceptServer,
            LocalCertificateSelectionCallback = certificate is null ? null : (_, _, _, _, _) => certificate.Current,
        };
        return handler;
    }

    /// <summary>True when the peer's certificate is acceptable; otherwise logs why (rate-limited) and returns false.</summary>
    public bool AcceptServer(object sender, X509Certificate? presented, X509Chain? chain, SslPolicyErrors errors)
    {
        var host = (sender as SslStream)?.TargetHostName is { Length: > 0 } name ? name : "?";
        var problem = trust is null
            ? CertificateCheck.Problem(errors, presented, chain, allowedNames)
            : CertificateCheck.Problem(presented, chain, trust.Current, CertificateUse.Server, host, allowed: allowedNames);
        if (problem is null)
            return true;

        if (warnings.ShouldLog(host + "|" + problem))
            LogRefused(host, problem, trust is null ? "the system's trusted roots" : "--peer-trusted-ca-file");
        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused the TLS certificate of the member at {Host}: {Reason} (checked against {Trust})")]
    private partial void LogRefused(string host, string reason, string trust);
}
