// What a presented certificate is checked for: a chain to the configured CA only, the
// validity period, the role (serverAuth/clientAuth) and, for a server, the host name; each
// refusal says why. With --peer-cert-allowed-cn/-hostname a certificate must also carry an
// allowed name; and the CA a client and a peer bundle have in common is found.
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KvDb.Tests.Security;

public sealed class CertificateCheckTests : IDisposable
{
    private readonly TestCertificates certificates = new();

    public void Dispose() => certificates.Dispose();

    private X509Certificate2Collection Trust => [certificates.Ca];

    [Fact]
    public void A_certificate_from_the_trusted_ca_is_accepted_as_server_and_as_client()
    {
        var member = certificates.Issue("member-1");

        CertificateCheck.Problem(member, null, Trust, CertificateUse.Server, "127.0.0.1").Should().BeNull();
        CertificateCheck.Problem(member, null, Trust, CertificateUse.Server, "localhost").Should().BeNull();
        CertificateCheck.Problem(member, null, Trust, CertificateUse.Client).Should().BeNull();
    }

    [Fact]
    public void A_certificate_from_another_ca_is_refused_even_if_that_ca_is_valid()
    {
        var stranger = TestCertificates.CreateCa("stranger CA");
        var member = certificates.Issue("member-1", issuer: stranger);

        var problem = CertificateCheck.Problem(member, null, Trust, CertificateUse.Client);

        problem.Should().NotBeNull().And.Contain("CN=member-1").And.Contain("CN=stranger CA").And.Contain("not issued by a trusted CA");
    }

    [Fact]
    public void A_self_signed_certificate_is_refused()
    {
        var self = TestCertificates.CreateCa("member-1");

        CertificateCheck.Problem(self, null, Trust, CertificateUse.Client).Should().Contain("not issued by a trusted CA");
    }

    [Fact]
    public void An_expired_certificate_is_refused_with_its_validity_period()
    {
        var expired = certificates.Issue("member-1", notBefore: DateTimeOffset.UtcNow.AddDays(-10), notAfter: DateTimeOffset.UtcNow.AddDays(-1));

        var problem = CertificateCheck.Problem(expired, null, Trust, CertificateUse.Server, "127.0.0.1");

        problem.Should().Contain("NotTimeValid").And.Contain($"to {expired.NotAfter.ToUniversalTime():yyyy-MM-dd}");
    }

    [Fact]
    public void A_server_certificate_for_another_host_is_refused_naming_both()
    {
        var member = certificates.Issue("member-1", names: ["member-1.example", "10.0.0.1"]);

        CertificateCheck.Problem(member, null, Trust, CertificateUse.Server, "127.0.0.1")
            .Should().Contain("does not name the host '127.0.0.1'").And.Contain("member-1.example").And.Contain("10.0.0.1");
        CertificateCheck.Problem(member, null, Trust, CertificateUse.Server, "member-1.example").Should().BeNull();
        CertificateCheck.Problem(member, null, Trust, CertificateUse.Client).Should().BeNull("a client is not reached at a host name");
    }

    [Fact]
    public void A_certificate_is_accepted_only_for_the_roles_it_allows()
    {
        var clientOnly = certificates.Issue("root", server: false, client: true);

        CertificateCheck.Problem(clientOnly, null, Trust, CertificateUse.Client).Should().BeNull();
        CertificateCheck.Problem(clientOnly, null, Trust, CertificateUse.Server, "127.0.0.1").Should().Contain("NotValidForUsage");
    }

    [Fact]
    public void No_certificate_is_refused()
        => CertificateCheck.Problem(null, null, Trust, CertificateUse.Client).Should().Be("it presented no certificate");

    [Fact]
    public void Without_a_trust_bundle_the_system_roots_decide()
    {
        // A private CA is not among the machine's roots.
        var member = certificates.Issue("member-1");
        CertificateCheck.Problem(member, null, trust: null, CertificateUse.Server, "127.0.0.1").Should().Contain("not issued by a trusted CA");
        CertificateCheck.Problem(SslPolicyErrors.None, member, null).Should().BeNull();
        CertificateCheck.Problem(SslPolicyErrors.RemoteCertificateNameMismatch, member, null).Should().Contain("RemoteCertificateNameMismatch");
    }

    [Fact]
    public void An_allowed_common_name_is_the_subjects_CN_exactly_and_is_checked_after_the_chain()
    {
        var allowed = new PeerCertificateNames(["member-1", "member-2"], []);

        CertificateCheck.Problem(certificates.Issue("member-2"), null, Trust, CertificateUse.Client, allowed: allowed).Should().BeNull();
        CertificateCheck.Problem(certificates.Issue("ann"), null, Trust, CertificateUse.Client, allowed: allowed)
            .Should().Contain("certificate 'CN=ann'").And.Contain("has the common name 'ann', and --peer-cert-allowed-cn allows only member-1, member-2");
        CertificateCheck.Problem(certificates.Issue("Member-1"), null, Trust, CertificateUse.Client, allowed: allowed).Should().Contain("'Member-1'");
        CertificateCheck.Problem(certificates.Issue("ann", names: ["member-1"]), null, Trust, CertificateUse.Server, "member-1", allowed: allowed)
            .Should().Contain("'ann'", "a subjectAltName is not a common name");
        CertificateCheck.Problem(certificates.Issue("member-1", issuer: TestCertificates.CreateCa("stranger CA")), null, Trust, CertificateUse.Client, allowed: allowed)
            .Should().Contain("not issued by a trusted CA", "an allowed name does not stand in for the CA");
        CertificateCheck.Problem(SslPolicyErrors.None, certificates.Issue("ann"), null, allowed).Should().Contain("--peer-cert-allowed-cn");
    }

    [Fact]
    public void A_subject_with_no_or_several_common_names_matches_none()
    {
        var allowed = new PeerCertificateNames(["member-1"], []);

        CertificateCheck.Problem(IssueWithSubject("O=member-1"), null, Trust, CertificateUse.Client, allowed: allowed).Should().Contain("has no common name");
        CertificateCheck.Problem(IssueWithSubject("CN=member-1, CN=ann"), null, Trust, CertificateUse.Client, allowed: allowed).Should().Contain("has 2 common names");
    }

    [Fact]
    public void An_allowed_host_name_is_a_subjectAltName_of_the_certificate_never_its_CN()
    {
        var allowed = new PeerCertificateNames([], ["peer.kvdb.test", "10.0.0.7"]);

        CertificateCheck.Problem(certificates.Issue("member-1", names: ["127.0.0.1", "peer.kvdb.test"]), null, Trust, CertificateUse.Client, allowed: allowed).Should().BeNull();
        CertificateCheck.Problem(certificates.Issue("member-1", names: ["*.kvdb.test"]), null, Trust, CertificateUse.Client, allowed: allowed).Should().BeNull("a wildcard in the certificate covers one label, as in TLS");
        CertificateCheck.Problem(certificates.Issue("member-1", names: ["10.0.0.7"]), null, Trust, CertificateUse.Client, allowed: allowed).Should().BeNull();
        CertificateCheck.Problem(certificates.Issue("peer.kvdb.test", names: ["127.0.0.1", "localhost"]), null, Trust, CertificateUse.Client, allowed: allowed)
            .Should().Contain("names none of the hosts --peer-cert-allowed-hostname allows (peer.kvdb.test, 10.0.0.7)").And.Contain("its names: localhost, 127.0.0.1");
    }

    [Fact]
    public void The_CA_a_client_and_a_peer_bundle_share_is_found_also_as_a_copy_or_an_intermediate()
    {
        var client = certificates.Ca;
        var copy = X509CertificateLoader.LoadCertificate(client.RawData);

        CertificateCheck.SharedAuthority([client], [client])!.Subject.Should().Be(client.Subject);
        CertificateCheck.SharedAuthority([client], [certificates.PeerCa, copy])!.Subject.Should().Be(client.Subject);
        CertificateCheck.SharedAuthority([client], [certificates.PeerCa]).Should().BeNull();
        CertificateCheck.SharedAuthority([certificates.PeerCa], [client]).Should().BeNull();

        // A client CA issued by the peer CA: its client certificates chain to the peer CA too.
        var intermediate = Intermediate("kvdb client intermediate", certificates.PeerCa);
        CertificateCheck.SharedAuthority([intermediate], [certificates.PeerCa])!.Subject.Should().Be("CN=kvdb client intermediate");
    }

    private X509Certificate2 IssueWithSubject(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(certificates.Ca, true, false));
        using var issued = request.Create(certificates.Ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(16));
        return issued.CopyWithPrivateKey(key);
    }

    private static X509Certificate2 Intermediate(string name, X509Certificate2 issuer)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        using var issued = request.Create(issuer, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1), RandomNumberGenerator.GetBytes(16));
        return issued.CopyWithPrivateKey(key);
    }
}
