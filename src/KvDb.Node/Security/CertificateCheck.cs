// Decides whether a certificate presented in a TLS handshake is acceptable, and says why not
// in words an operator can act on.
// Invariants:
//  - With a trust bundle the chain must end in one of its certificates (CustomRootTrust): the
//    machine's own roots are not consulted, so a certificate from a public CA does not get in
//    because it happens to be valid. Without one (an https peer and no --peer-trusted-ca-file)
//    the system's roots decide.
//  - The certificate must be within its validity period and allowed for its use (serverAuth
//    for a server, clientAuth for a client, when it lists extended key usages); a server's
//    must also name the host it was reached at (a SAN DNS name or IP address).
//  - With a PeerCertificateNames rule (--peer-cert-allowed-cn/-hostname) a certificate that
//    chains is also refused unless it carries an allowed name; the names are checked only
//    after the chain, so the rule never lets in what the CA check refuses.
//  - Revocation is not checked (kvdb reads no CRLs); rotate a compromised CA instead.
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KvDb.Node.Security;

/// <summary>The role the certificate is checked for.</summary>
public enum CertificateUse
{
    /// <summary>A server's certificate (serverAuth), checked against the host name it was reached at.</summary>
    Server,

    /// <summary>A client's certificate (clientAuth).</summary>
    Client,
}

/// <summary>Checks presented certificates.</summary>
public static class CertificateCheck
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1", "Server Authentication");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2", "Client Authentication");

    /// <summary>Why <paramref name="certificate"/> is not acceptable, or null when it is.</summary>
    /// <param name="certificate">What the other side presented; null when it presented nothing.</param>
    /// <param name="presented">The chain TLS built (its intermediates help building ours); may be null.</param>
    /// <param name="trust">The CA certificates the chain must end in; null for the system's roots.</param>
    /// <param name="use">Server or client.</param>
    /// <param name="hostName">For a server: the host it was reached at.</param>
    /// <param name="now">The time to check validity at; now by default.</param>
    /// <param name="allowed">The names a member's certificate must carry; null for any.</param>
    public static string? Problem(X509Certificate? certificate, X509Chain? presented, X509Certificate2Collection? trust, CertificateUse use, string? hostName = null, DateTime? now = null, PeerCertificateNames? allowed = null)
    {
        if (certificate is null)
            return "it presented no certificate";
        try
        {
            return Check(certificate, presented, trust, use, hostName, now, allowed);
        }
        catch (CryptographicException e)
        {
            // A certificate the platform cannot even parse or chain is refused like any other.
            return $"its certificate cannot be checked: {e.Message.ReplaceLineEndings(" ").Trim()}";
        }
    }

    private static string? Check(X509Certificate certificate, X509Chain? presented, X509Certificate2Collection? trust, CertificateUse use, string? hostName, DateTime? now, PeerCertificateNames? allowed)
    {
        var leaf = Leaf(certificate);
        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.VerificationTime = now ?? DateTime.Now;
        policy.ApplicationPolicy.Add(use is CertificateUse.Server ? ServerAuth : ClientAuth);
        if (trust is not null)
        {
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            policy.CustomTrustStore.AddRange(trust);
        }

        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                if (!element.Certificate.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
                    policy.ExtraStore.Add(element.Certificate);
            }
        }

        if (!chain.Build(leaf))
            return $"{Describe(leaf)}: {Reasons(chain, leaf)}";

        if (use is CertificateUse.Server && hostName is { Length: > 0 } && !leaf.MatchesHostname(hostName.Trim('[', ']')))
            return $"{Describe(leaf)} does not name the host '{hostName}' it was reached at (its names: {Names(leaf)})";
        return allowed is null ? null : NotAllowed(leaf, allowed);
    }

    private static string? NotAllowed(X509Certificate2 leaf, PeerCertificateNames allowed)
        => allowed.Problem(leaf) is { } problem ? $"{Describe(leaf)} {problem} (its names: {Names(leaf)})" : null;

    private static X509Certificate2 Leaf(X509Certificate certificate)
        => certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());

    /// <summary>Why the system rejected a server certificate (or <paramref name="allowed"/> does), for the case without a trust bundle.</summary>
    public static string? Problem(SslPolicyErrors errors, X509Certificate? certificate, X509Chain? chain, PeerCertificateNames? allowed = null)
    {
        if (errors is SslPolicyErrors.None)
            return certificate is null || allowed is null ? null : NotAllowed(Leaf(certificate), allowed);
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            return "it presented no certificate";
        var leaf = Leaf(certificate);
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors) && chain is not null)
            return $"{Describe(leaf)}: {Reasons(chain, leaf)}";
        return $"{Describe(leaf)}: {errors}";
    }

    /// <summary>
    /// The first CA of <paramref name="clientTrust"/> that <paramref name="peerTrust"/> also trusts (the same
    /// certificate, or one that chains to it), so that every client certificate it issues would pass the
    /// peer port's chain check; null when there is none.
    /// </summary>
    public static X509Certificate2? SharedAuthority(X509Certificate2Collection clientTrust, X509Certificate2Collection peerTrust)
    {
        foreach (var ca in clientTrust)
        {
            if (peerTrust.Any(p => p.RawDataMemory.Span.SequenceEqual(ca.RawDataMemory.Span)))
                return ca;
            try
            {
                using var chain = new X509Chain();
                var policy = chain.ChainPolicy;
                policy.RevocationMode = X509RevocationMode.NoCheck;
                policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                policy.CustomTrustStore.AddRange(peerTrust);
                policy.ExtraStore.AddRange(clientTrust);

                // Only whether one CA is below the other matters here, not whether either is still valid.
                policy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid | X509VerificationFlags.IgnoreNotTimeNested;
                if (chain.Build(ca))
                    return ca;
            }
            catch (CryptographicException)
            {
                // A certificate that cannot be chained shares nothing.
            }
        }

        return null;
    }

    /// <summary>A certificate in a few words: its subject and issuer.</summary>
    public static string Describe(X509Certificate2 certificate)
        => $"certificate '{certificate.Subject}' (issued by '{certificate.Issuer}')";

    private static string Reasons(X509Chain chain, X509Certificate2 leaf)
    {
        var reasons = chain.ChainStatus
            .Where(static s => s.Status is not X509ChainStatusFlags.NoError)
            .Select(s => s.Status switch
            {
                X509ChainStatusFlags.NotTimeValid => $"NotTimeValid (valid from {leaf.NotBefore.ToUniversalTime():yyyy-MM-dd HH:mm} to {leaf.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm} UTC)",
                X509ChainStatusFlags.UntrustedRoot or X509ChainStatusFlags.PartialChain => $"{s.Status} (not issued by a trusted CA)",
                X509ChainStatusFlags.NotValidForUsage => $"NotValidForUsage (its extended key usage does not allow this role)",
                _ => $"{s.Status} ({s.StatusInformation.ReplaceLineEndings(" ").Trim()})",
            })
            .Distinct()
            .ToList();
        return reasons.Count > 0 ? string.Join("; ", reasons) : "the chain does not verify";
    }

    private static string Names(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                names.AddRange(san.EnumerateDnsNames());
                names.AddRange(san.EnumerateIPAddresses().Select(static a => a.ToString()));
            }
        }

        return names.Count > 0 ? string.Join(", ", names) : $"none but its subject {certificate.Subject}";
    }
}
