// Loading certificates, keys and CA bundles from PEM files, as etcd and openssl write them.
// Invariants:
//  - Every failure is an InvalidDataException with a one-line message naming the file(s), so
//    it can be a start-up error or a "keeping the previous certificate" warning as it is.
//  - A certificate is returned with its private key usable by SslStream: on Windows, whose TLS
//    stack cannot use the ephemeral key CreateFromPem makes, it goes through PKCS#12 once.
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace KvDb.Node.Security;

/// <summary>Loads certificates and CA bundles from PEM text.</summary>
public static class PemFiles
{
    /// <summary>Opens a certificate and its key, reloaded when the files change.</summary>
    /// <exception cref="InvalidDataException">The files do not hold a certificate and its key.</exception>
    public static ReloadingFile<X509Certificate2> OpenCertificate(string what, string certificatePath, string keyPath, TimeSpan? interval = null)
        => ReloadingFile<X509Certificate2>.Open(what, [certificatePath, keyPath], files => Certificate(files[0], files[1], certificatePath, keyPath), interval);

    /// <summary>Opens a bundle of CA certificates, reloaded when the file changes.</summary>
    /// <exception cref="InvalidDataException">The file holds no certificate.</exception>
    public static ReloadingFile<X509Certificate2Collection> OpenTrust(string what, string path, TimeSpan? interval = null)
        => ReloadingFile<X509Certificate2Collection>.Open(what, [path], files => Trust(files[0], path), interval);

    /// <summary>A certificate with its private key, from the contents of a PEM certificate file and a PEM key file.</summary>
    public static X509Certificate2 Certificate(byte[] certificatePem, byte[] keyPem, string certificatePath, string keyPath)
    {
        var keyText = Encoding.UTF8.GetString(keyPem);
        if (keyText.Contains("ENCRYPTED PRIVATE KEY", StringComparison.Ordinal) || keyText.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal))
            throw new InvalidDataException($"'{keyPath}' is an encrypted private key; kvdb needs it unencrypted (openssl pkey -in {keyPath} -out plain-key.pem)");

        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(Encoding.UTF8.GetString(certificatePem), keyText);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new InvalidDataException($"'{certificatePath}' and '{keyPath}' are not a PEM certificate and its private key: {e.Message.ReplaceLineEndings(" ").Trim()}");
        }

        if (!OperatingSystem.IsWindows())
            return certificate;
        using (certificate)
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);
    }

    /// <summary>The certificates of a PEM CA bundle.</summary>
    public static X509Certificate2Collection Trust(byte[] pem, string path)
    {
        var trust = new X509Certificate2Collection();
        try
        {
            trust.ImportFromPem(Encoding.UTF8.GetString(pem));
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new InvalidDataException($"'{path}' is not a PEM file of CA certificates: {e.Message.ReplaceLineEndings(" ").Trim()}");
        }

        return trust.Count > 0 ? trust : throw new InvalidDataException($"'{path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
}
