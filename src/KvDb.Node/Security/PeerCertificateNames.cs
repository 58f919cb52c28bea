// Which certificates from the peer CA count as members: the names of --peer-cert-allowed-cn and
// --peer-cert-allowed-hostname (etcd's flags of the same names). A CA that also issues other
// certificates (client certificates, other services' server certificates) then no longer makes
// every holder a member.
// Invariants:
//  - At most one of the two lists has names (SecurityFlags refuses both); with neither, every
//    certificate the chain check accepted is allowed, as before.
//  - A common name is the subject's CN attribute, compared exactly (ordinal, as etcd does). A
//    subject without a CN, or with more than one, matches no name: unlike
//    GetNameInfo(SimpleName), nothing falls back to another attribute (O, OU, e-mail), and a CN
//    inside a multi-valued RDN (CN=a+O=b) is not read.
//  - A host name is matched as TLS host-name verification matches it: against the
//    subjectAltName DNS names (a wildcard there covers one label) or IP addresses, never against
//    the subject's CN.
//  - Applied in both directions: to the certificate a caller presents on the peer port
//    (ServerTls) and to the one a peer serves when this member calls it (PeerTlsClient).
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KvDb.Node.Security;

/// <summary>The names a member's peer certificate must carry, beyond being issued by the peer CA.</summary>
public sealed class PeerCertificateNames
{
    private const string CommonNameOid = "2.5.4.3";

    /// <summary>No restriction: any certificate from the peer CA is a member's.</summary>
    public static readonly PeerCertificateNames Any = new([], []);

    private readonly string[] commonNames;
    private readonly string[] hostNames;

    /// <summary>Allows certificates whose CN is one of <paramref name="commonNames"/>, or that name one of <paramref name="hostNames"/>.</summary>
    public PeerCertificateNames(IReadOnlyList<string> commonNames, IReadOnlyList<string> hostNames)
    {
        this.commonNames = [.. commonNames];
        this.hostNames = [.. hostNames];
    }

    /// <summary>True when some certificates of the peer CA are not allowed.</summary>
    public bool Restricts => commonNames.Length > 0 || hostNames.Length > 0;

    /// <summary>Why <paramref name="leaf"/> is not allowed, completing "certificate '...' ..."; null when it is.</summary>
    public string? Problem(X509Certificate2 leaf)
    {
        if (commonNames.Length > 0)
        {
            var names = CommonNames(leaf);
            if (names.Count == 1 && commonNames.Contains(names[0], StringComparer.Ordinal))
                return null;
            var has = names.Count switch
            {
                0 => "has no common name",
                1 => $"has the common name '{names[0]}'",
                _ => $"has {names.Count} common names ({string.Join(", ", names)}), not one",
            };
            return $"{has}, and --peer-cert-allowed-cn allows only {string.Join(", ", commonNames)}";
        }

        if (hostNames.Length > 0)
        {
            foreach (var host in hostNames)
            {
                if (leaf.MatchesHostname(host.Trim('[', ']'), allowWildcards: true, allowCommonName: false))
                    return null;
            }

            return $"names none of the hosts --peer-cert-allowed-hostname allows ({string.Join(", ", hostNames)}) in its subjectAltName";
        }

        return null;
    }

    // Every CN attribute of the subject, in order.
    private static List<string> CommonNames(X509Certificate2 leaf)
    {
        var names = new List<string>();
        try
        {
            foreach (var rdn in leaf.SubjectName.EnumerateRelativeDistinguishedNames())
            {
                if (rdn.HasMultipleElements)
                    continue;
                if (rdn.GetSingleElementType().Value == CommonNameOid && rdn.GetSingleElementValue() is { } value)
                    names.Add(value);
            }
        }
        catch (CryptographicException)
        {
            // A subject that cannot be decoded names nobody.
        }

        return names;
    }
}
