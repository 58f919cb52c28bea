// Certificates made at test time (CertificateRequest, EC P-256), written as PEM files into a
// temporary directory, the way scripts/make-certs and openssl lay them out: NAME.pem and
// NAME-key.pem, and a CA as NAME.pem alone. Deleted on dispose. As make-certs, there are two CAs:
// Ca (ca.pem) for client certificates and the client port, PeerCa (peer-ca.pem) for members'
// peer certificates; a test that wants the old single-CA setup uses Ca for both.
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KvDb.Testing;

/// <summary>A test CA hierarchy on disk.</summary>
public sealed class TestCertificates : IDisposable
{
    public TestCertificates()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("kvdb-certs-").FullName;
        Ca = CreateCa("kvdb test CA");
        CaFile = WriteCa("ca", Ca);
        PeerCa = CreateCa("kvdb test peer CA");
        PeerCaFile = WriteCa("peer-ca", PeerCa);
    }

    /// <summary>Where the files are.</summary>
    public string Directory { get; }

    /// <summary>The CA most certificates here are issued by.</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>The CA's PEM file.</summary>
    public string CaFile { get; }

    /// <summary>The CA of members' peer certificates, apart from <see cref="Ca"/>.</summary>
    public X509Certificate2 PeerCa { get; }

    /// <summary>The peer CA's PEM file.</summary>
    public string PeerCaFile { get; }

    /// <summary>A self-signed CA certificate with its key.</summary>
    public static X509Certificate2 CreateCa(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddYears(5));
    }

    /// <summary>
    /// A certificate for <paramref name="commonName"/> issued by <paramref name="issuer"/> (this CA by default),
    /// usable as a server and a client certificate, naming 127.0.0.1 and localhost unless <paramref name="names"/> says otherwise.
    /// </summary>
    public X509Certificate2 Issue(string commonName, X509Certificate2? issuer = null, string[]? names = null, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, bool server = true, bool client = true)
    {
        issuer ??= Ca;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var usages = new OidCollection();
        if (server)
            usages.Add(new Oid("1.3.6.1.5.5.7.3.1"));
        if (client)
            usages.Add(new Oid("1.3.6.1.5.5.7.3.2"));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names ?? ["127.0.0.1", "localhost"])
        {
            if (IPAddress.TryParse(name, out var address))
                san.AddIpAddress(address);
            else
                san.AddDnsName(name);
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        var from = notBefore ?? DateTimeOffset.UtcNow.AddMinutes(-5);
        var to = notAfter ?? DateTimeOffset.UtcNow.AddDays(30);
        if (to > issuer.NotAfter)
            to = issuer.NotAfter;
        using var issued = request.Create(issuer, from, to, RandomNumberGenerator.GetBytes(16));
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>Writes NAME.pem and NAME-key.pem; returns their paths.</summary>
    public (string Certificate, string Key) Write(string name, X509Certificate2 certificate)
    {
        var certificateFile = Path.Combine(Directory, name + ".pem");
        var keyFile = Path.Combine(Directory, name + "-key.pem");
        File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return (certificateFile, keyFile);
    }

    /// <summary>Writes a CA certificate (no key) as NAME.pem; returns its path.</summary>
    public string WriteCa(string name, X509Certificate2 ca)
    {
        var file = Path.Combine(Directory, name + ".pem");
        File.WriteAllText(file, ca.ExportCertificatePem());
        return file;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
