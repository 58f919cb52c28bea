// kvdb's TLS and peer-authentication flags, kept apart from NodeFlags so that they read as one
// feature and NodeFlags only lists and builds them.
// Invariants:
//  - The flags follow NodeFlags' conventions: declared once with placeholder, default and help
//    text; the environment variable is KVDB_ + the name in upper case with '_' for '-'.
//  - Build checks what spans flags (a certificate without its key, https without a
//    certificate, client-certificate authentication without a CA, allowed peer names without
//    --peer-client-cert-auth or of both kinds) and throws one FormatException
//    with a one-line message, which kvdb reports as a command-line error (exit code 2). Files
//    are only named here; they are read when the member starts (NodeSecurity.Load).
using System.CommandLine;
using KvDb.Flags;
using KvDb.Node.Hosting;

namespace KvDb.Node.Security;

/// <summary>The flags that configure TLS and peer authentication.</summary>
internal sealed class SecurityFlags
{
    public SecurityFlags(Func<string, string?> environment)
    {
        CertFile = Env(File("cert-file", "PEM certificate of the client port (--port): with it the client API is served over https only. Needs --key-file."));
        KeyFile = Env(File("key-file", "PEM private key (unencrypted) of --cert-file."));
        TrustedCaFile = Env(File("trusted-ca-file", "PEM CA certificate(s) that client certificates must chain to; used with --client-cert-auth."));
        ClientCertAuth = Env(Switch("client-cert-auth", "The client port requires a certificate issued by --trusted-ca-file; its common name is the request's user."));
        PeerCertFile = Env(File("peer-cert-file", "PEM certificate of the peer port (an https:// URL in --cluster), also presented when this member calls others. Needs --peer-key-file."));
        PeerKeyFile = Env(File("peer-key-file", "PEM private key (unencrypted) of --peer-cert-file."));
        PeerTrustedCaFile = Env(File("peer-trusted-ca-file", "PEM CA certificate(s) that other members' certificates must chain to (checked with their host names); default: the system's roots."));
        PeerClientCertAuth = Env(Switch("peer-client-cert-auth", "The peer port requires a certificate issued by --peer-trusted-ca-file: only members holding one can talk Raft or call /internal/, so give members a CA of their own (or see --peer-cert-allowed-cn)."));
        PeerCertAllowedCn = Env(Names("peer-cert-allowed-cn", "Comma-separated common names: a member's peer certificate must have one of them (CN), both on the peer port and when this member calls another. Needs --peer-client-cert-auth; not with --peer-cert-allowed-hostname."));
        PeerCertAllowedHostname = Env(Names("peer-cert-allowed-hostname", "Comma-separated host names or IP addresses: a member's peer certificate must name one of them in its subjectAltName, both on the peer port and when this member calls another. Needs --peer-client-cert-auth; not with --peer-cert-allowed-cn.", HostName));
        PeerTokenFile = Env(File("peer-token-file", "File holding a secret shared by all members; every member-to-member request must prove it knows it (works without TLS)."));

        Flag<T> Env<T>(Flag<T> flag) => flag.FromEnvironment("KVDB_" + flag.FlagName.Replace('-', '_').ToUpperInvariant(), environment);
    }

    /// <summary>The flags, in --help order.</summary>
    public IReadOnlyList<IFlag> Flags =>
        [CertFile, KeyFile, ClientCertAuth, TrustedCaFile, PeerCertFile, PeerKeyFile, PeerTrustedCaFile, PeerClientCertAuth, PeerCertAllowedCn, PeerCertAllowedHostname, PeerTokenFile];

    public Flag<string?> CertFile { get; }
    public Flag<string?> KeyFile { get; }
    public Flag<string?> TrustedCaFile { get; }
    public Flag<OnOff> ClientCertAuth { get; }
    public Flag<string?> PeerCertFile { get; }
    public Flag<string?> PeerKeyFile { get; }
    public Flag<string?> PeerTrustedCaFile { get; }
    public Flag<OnOff> PeerClientCertAuth { get; }
    public Flag<IReadOnlyList<string>> PeerCertAllowedCn { get; }
    public Flag<IReadOnlyList<string>> PeerCertAllowedHostname { get; }
    public Flag<string?> PeerTokenFile { get; }

    /// <summary>The settings of a parse without errors, for the member whose own peer URL is <paramref name="ownPeerUrl"/>.</summary>
    /// <exception cref="FormatException">Flags that do not fit together; the message is one line.</exception>
    public SecurityOptions Build(ParseResult result, string ownPeerUrl)
    {
        var options = new SecurityOptions
        {
            CertFile = Path(result, CertFile),
            KeyFile = Path(result, KeyFile),
            TrustedCaFile = Path(result, TrustedCaFile),
            ClientCertAuth = result.GetValue(ClientCertAuth).IsOn,
            PeerCertFile = Path(result, PeerCertFile),
            PeerKeyFile = Path(result, PeerKeyFile),
            PeerTrustedCaFile = Path(result, PeerTrustedCaFile),
            PeerClientCertAuth = result.GetValue(PeerClientCertAuth).IsOn,
            PeerCertAllowedCns = result.GetValue(PeerCertAllowedCn) ?? [],
            PeerCertAllowedHostnames = result.GetValue(PeerCertAllowedHostname) ?? [],
            PeerTokenFile = Path(result, PeerTokenFile),
        };

        Pair(options.CertFile, options.KeyFile, "--cert-file", "--key-file");
        Pair(options.PeerCertFile, options.PeerKeyFile, "--peer-cert-file", "--peer-key-file");
        if (options.ClientCertAuth && options.CertFile is null)
            throw new FormatException("--client-cert-auth needs --cert-file and --key-file: client certificates are asked for during the TLS handshake of the client port");
        if (options.ClientCertAuth && options.TrustedCaFile is null)
            throw new FormatException("--client-cert-auth needs --trusted-ca-file, the CA that client certificates must be issued by");
        if (options.TrustedCaFile is not null && !options.ClientCertAuth)
            throw new FormatException("--trusted-ca-file is used only with --client-cert-auth; add --client-cert-auth (or drop --trusted-ca-file)");

        var https = PeerUrl.IsHttps(ownPeerUrl);
        if (https && options.PeerCertFile is null)
            throw new FormatException($"this member's peer URL {ownPeerUrl} is https, so it needs --peer-cert-file and --peer-key-file");
        if (!https && options.PeerCertFile is not null)
            throw new FormatException($"--peer-cert-file is given but this member's peer URL {ownPeerUrl} is http; write https:// URLs in --cluster to serve the peer port over TLS");
        if (options.PeerClientCertAuth && !https)
            throw new FormatException($"--peer-client-cert-auth needs TLS on the peer port: write https:// URLs in --cluster (this member's is {ownPeerUrl})");
        if (options.PeerClientCertAuth && options.PeerTrustedCaFile is null)
            throw new FormatException("--peer-client-cert-auth needs --peer-trusted-ca-file, the CA that members' certificates must be issued by");
        if (options.PeerCertAllowedCns.Count > 0 && options.PeerCertAllowedHostnames.Count > 0)
            throw new FormatException("--peer-cert-allowed-cn and --peer-cert-allowed-hostname do not go together (as in etcd): restrict members' peer certificates by common name or by host name");
        foreach (var (names, flag) in new[] { (options.PeerCertAllowedCns, "--peer-cert-allowed-cn"), (options.PeerCertAllowedHostnames, "--peer-cert-allowed-hostname") })
        {
            if (names.Count > 0 && !options.PeerClientCertAuth)
                throw new FormatException($"{flag} needs --peer-client-cert-auth: the peer port checks a caller's certificate only when it asks for one");
        }

        return options;
    }

    private static string? Path(ParseResult result, Flag<string?> flag)
        => result.GetValue(flag) is { Length: > 0 } path ? System.IO.Path.GetFullPath(path) : null;

    private static void Pair(string? certificate, string? key, string certificateFlag, string keyFlag)
    {
        if (certificate is not null && key is null)
            throw new FormatException($"{certificateFlag} needs {keyFlag}, the certificate's private key");
        if (key is not null && certificate is null)
            throw new FormatException($"{keyFlag} needs {certificateFlag}, the certificate the key belongs to");
    }

    private static Flag<string?> File(string name, string summary)
        => new(name, "FILE", "none", summary, text => text.Trim().Length > 0 ? text : throw new FormatException($"--{name} needs a file name"), defaultValue: () => null);

    // A comma-separated list of names without empty ones; check says why a name is not one (or null).
    private static Flag<IReadOnlyList<string>> Names(string name, string summary, Func<string, string?>? check = null)
        => new(name, "NAMES", "none", summary, text =>
        {
            var names = text.Split(',', StringSplitOptions.TrimEntries);
            foreach (var one in names)
            {
                if (one.Length == 0)
                    throw new FormatException($"--{name} needs names separated by commas, without empty ones");
                if (check?.Invoke(one) is { } problem)
                    throw new FormatException($"--{name}: '{one}' {problem}");
            }

            return names.Distinct(StringComparer.Ordinal).ToArray();
        }, defaultValue: () => []);

    private static string? HostName(string name)
        => name.Contains('*', StringComparison.Ordinal) || name.Any(char.IsWhiteSpace) || Uri.CheckHostName(name.Trim('[', ']')) is UriHostNameType.Unknown
            ? "is not a host name or an IP address (wildcards belong in certificates, not here)"
            : null;

    private static Flag<OnOff> Switch(string name, string summary)
        => new(name, null, "off", summary, text => OnOff.Parse(name, text));
}
