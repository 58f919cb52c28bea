// The TLS and peer-authentication settings of one member, after parsing and validation.
// Invariants (checked by SecurityFlags.Build): a certificate file always comes with its key
// file; client-certificate authentication always has a CA to check against and a TLS port to
// ask on; a member whose own peer URL is https has a peer certificate; allowed peer names come
// with --peer-client-cert-auth, and only one kind of them (common names or host names) is
// given. Paths are absolute.
namespace KvDb.Node.Security;

/// <summary>What protects the client port and the peer port of a member.</summary>
public sealed record SecurityOptions
{
    /// <summary>Nothing: both ports speak plain HTTP and the peer port trusts whoever reaches it.</summary>
    public static readonly SecurityOptions None = new();

    /// <summary>PEM certificate of the client port (--cert-file); null for plain HTTP.</summary>
    public string? CertFile { get; init; }

    /// <summary>PEM private key of <see cref="CertFile"/> (--key-file).</summary>
    public string? KeyFile { get; init; }

    /// <summary>PEM CA certificates client certificates must chain to (--trusted-ca-file).</summary>
    public string? TrustedCaFile { get; init; }

    /// <summary>The client port requires a certificate from <see cref="TrustedCaFile"/> (--client-cert-auth).</summary>
    public bool ClientCertAuth { get; init; }

    /// <summary>PEM certificate this member serves its peer port with and presents to other members (--peer-cert-file).</summary>
    public string? PeerCertFile { get; init; }

    /// <summary>PEM private key of <see cref="PeerCertFile"/> (--peer-key-file).</summary>
    public string? PeerKeyFile { get; init; }

    /// <summary>PEM CA certificates other members' certificates must chain to (--peer-trusted-ca-file); null trusts the system's roots for https peers.</summary>
    public string? PeerTrustedCaFile { get; init; }

    /// <summary>The peer port requires a certificate from <see cref="PeerTrustedCaFile"/> (--peer-client-cert-auth).</summary>
    public bool PeerClientCertAuth { get; init; }

    /// <summary>Common names a member's peer certificate must have one of (--peer-cert-allowed-cn); empty for any.</summary>
    public IReadOnlyList<string> PeerCertAllowedCns { get; init; } = [];

    /// <summary>Host names a member's peer certificate must name one of in its subjectAltName (--peer-cert-allowed-hostname); empty for any.</summary>
    public IReadOnlyList<string> PeerCertAllowedHostnames { get; init; } = [];

    /// <summary>File holding the secret shared by all members (--peer-token-file); null when none.</summary>
    public string? PeerTokenFile { get; init; }

    /// <summary>True when the client port serves TLS.</summary>
    public bool ClientTls => CertFile is not null;

    /// <summary>True when the peer port serves TLS.</summary>
    public bool PeerTls => PeerCertFile is not null;

    /// <summary>The names of <see cref="PeerCertAllowedCns"/> and <see cref="PeerCertAllowedHostnames"/> as a rule.</summary>
    public PeerCertificateNames PeerCertificateNames => PeerCertAllowedCns.Count == 0 && PeerCertAllowedHostnames.Count == 0
        ? PeerCertificateNames.Any
        : new PeerCertificateNames(PeerCertAllowedCns, PeerCertAllowedHostnames);

    /// <summary>True when the peer port refuses callers that cannot prove they are members.</summary>
    public bool PeerAuthenticated => PeerClientCertAuth || PeerTokenFile is not null;
}
