// What a presented certificate is checked for: a chain to the configured CA only, the
// validity period, the role (serverAuth/clientAuth) and, for a server, the host name; each
// refusal says why.
using System.Net.Security;
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
}
