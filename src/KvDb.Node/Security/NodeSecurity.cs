// Everything that protects one member's two ports, loaded once at start-up: the certificates
// and CA bundles of --cert-file ... --peer-trusted-ca-file and the --peer-token-file secret.
// Invariants:
//  - Load reads every file before anything listens or opens the log; a file that is missing,
//    unreadable, empty or not what its flag needs stops the member with one line naming the flag
//    and the file (StartupException, exit code 1).
//  - Afterwards each file is followed as it changes (ReloadingFile): certificates, CA bundles
//    and the secret rotate without a restart, and a bad new file keeps the previous one.
//  - A member whose peer port authenticates nobody (neither --peer-client-cert-auth nor
//    --peer-token-file) says so once, as a warning, when it starts.
//  - So does a member whose peer port takes any certificate of a CA that also issues client
//    certificates: --client-cert-auth and --peer-client-cert-auth with a CA in common (the same
//    file, the same certificate in two files, or a client CA issued by a peer CA), no
//    --peer-cert-allowed-cn/-hostname and no --peer-token-file. Every client could then act as
//    a member (issue 26). Checked on the bundles as loaded at start; later reloads are not.
using System.Security.Cryptography.X509Certificates;
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using KvDb.Node.Raft;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace KvDb.Node.Security;

/// <summary>The loaded TLS material and peer secret of one member.</summary>
public sealed partial class NodeSecurity
{
    private readonly NodeOptions options;
    private readonly List<Action<ILoggerFactory>> attach = [];
    private ReloadingFile<X509Certificate2Collection>? clientTrust;
    private ReloadingFile<X509Certificate2Collection>? peerTrust;

    private NodeSecurity(NodeOptions options) => this.options = options;

    /// <summary>TLS of the client port, or null for plain HTTP.</summary>
    public ServerTls? ClientTls { get; private set; }

    /// <summary>TLS of the peer port, or null for plain HTTP.</summary>
    public ServerTls? PeerTls { get; private set; }

    /// <summary>TLS of this member's calls to other members.</summary>
    public PeerTlsClient PeerClientTls { get; private set; } = new(null, null);

    /// <summary>The shared peer secret, or null without --peer-token-file.</summary>
    public PeerToken? PeerToken { get; private set; }

    /// <summary>Reads every file the security flags name.</summary>
    /// <exception cref="StartupException">A file is unusable; the message names the flag and the file.</exception>
    public static NodeSecurity Load(NodeOptions options)
    {
        var settings = options.Security;
        var security = new NodeSecurity(options);
        if (settings.CertFile is { } certFile)
        {
            var certificate = Open("--cert-file/--key-file", () => PemFiles.OpenCertificate("client port certificate (--cert-file)", certFile, settings.KeyFile!));
            var trust = settings.ClientCertAuth
                ? Open("--trusted-ca-file", () => PemFiles.OpenTrust("client CA bundle (--trusted-ca-file)", settings.TrustedCaFile!))
                : null;
            security.ClientTls = new ServerTls("client port", certificate, trust);
            security.clientTrust = trust;
            security.attach.Add(factory =>
            {
                certificate.Logger = Logger(factory);
                trust?.Logger = Logger(factory);
            });
        }

        var peerTrust = settings.PeerTrustedCaFile is { } peerCa
            ? Open("--peer-trusted-ca-file", () => PemFiles.OpenTrust("peer CA bundle (--peer-trusted-ca-file)", peerCa))
            : null;
        ReloadingFile<X509Certificate2>? peerCertificate = null;
        if (settings.PeerCertFile is { } peerCertFile)
        {
            peerCertificate = Open("--peer-cert-file/--peer-key-file", () => PemFiles.OpenCertificate("peer certificate (--peer-cert-file)", peerCertFile, settings.PeerKeyFile!));
            security.PeerTls = new ServerTls("peer port", peerCertificate, settings.PeerClientCertAuth ? peerTrust : null, settings.PeerCertificateNames);
        }

        security.peerTrust = peerTrust;
        security.PeerClientTls = new PeerTlsClient(peerCertificate, peerTrust, settings.PeerCertificateNames);
        security.attach.Add(factory =>
        {
            peerCertificate?.Logger = Logger(factory);
            peerTrust?.Logger = Logger(factory);
        });

        if (settings.PeerTokenFile is { } tokenFile)
        {
            security.PeerToken = Open("--peer-token-file", () => PeerToken.Open(tokenFile));
            security.attach.Add(factory => security.PeerToken.File.Logger = Logger(factory));
        }

        return security;
    }

    /// <summary>Serves the client port over TLS when --cert-file is given; plain HTTP otherwise.</summary>
    public void ServeClientPort(ListenOptions listen)
    {
        // Over TLS, HTTP/2 (chosen by ALPN) lets a client run many watches over one connection;
        // HTTP/1.1 clients are served as before. Plain HTTP serves HTTP/1.1 and, to clients that
        // open with HTTP/2's preface (S2's SDK sessions), HTTP/2 with prior knowledge.
        if (ClientTls is null)
        {
            CleartextHttp2.Serve(listen);
            return;
        }

        listen.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1AndHttp2;
        ClientTls.Apply(listen, http2: true);
    }

    /// <summary>Serves the peer port over TLS when this member's peer URL is https; plain HTTP otherwise.</summary>
    public void ServePeerPort(ListenOptions listen) => PeerTls?.Apply(listen);

    /// <summary>Gives every part its logger, and warns when the peer port authenticates nobody or takes clients for members.</summary>
    public void AttachLogging(ILoggerFactory factory)
    {
        var logger = Logger(factory);
        ClientTls?.Logger = logger;
        PeerTls?.Logger = logger;
        PeerClientTls.Logger = logger;
        foreach (var action in attach)
            action(factory);

        if (!options.Security.PeerAuthenticated)
            LogPeerPortOpen(logger, options.PeerUrl);
        if (ClientCaAcceptedForPeers() is { } shared)
            LogSharedCa(logger, shared.Subject);
    }

    // The client CA whose certificates the peer port would take for members', or null.
    private X509Certificate2? ClientCaAcceptedForPeers()
    {
        var settings = options.Security;
        if (!settings.ClientCertAuth || !settings.PeerClientCertAuth || settings.PeerCertificateNames.Restricts || settings.PeerTokenFile is not null)
            return null;
        return clientTrust is null || peerTrust is null ? null : CertificateCheck.SharedAuthority(clientTrust.Current, peerTrust.Current);
    }

    private static ILogger Logger(ILoggerFactory factory) => factory.CreateLogger<NodeSecurity>();

    private static T Open<T>(string flags, Func<T> open)
    {
        try
        {
            return open();
        }
        catch (InvalidDataException e)
        {
            throw new StartupException($"{flags}: {e.Message}");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The peer port ({PeerUrl}) trusts anyone who can reach it: whoever connects can vote in elections, propose writes and fetch snapshots. Keep it on a network only members reach, or use --peer-token-file or --peer-client-cert-auth (see docs/operations/security.md)")]
    private static partial void LogPeerPortOpen(ILogger logger, string peerUrl);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The client port and the peer port trust the same CA ('{Ca}' of --trusted-ca-file is also trusted by --peer-trusted-ca-file): any client certificate it issues is taken for a member's on the peer port, so every client can vote, propose writes (turn auth off) and fetch snapshots. Give members a CA of their own (scripts/make-certs makes peer-ca.pem), or require their certificates' names with --peer-cert-allowed-cn or --peer-cert-allowed-hostname (see docs/operations/security.md)")]
    private static partial void LogSharedCa(ILogger logger, string ca);
}
