// Builds the one HttpClient a KvClient sends everything through: a SocketsHttpHandler that
// pools connections to every member, trusts the configured CAs (only those, when given),
// presents the client certificate, and sends the credentials on every request.
// Invariants: no proxy, no redirects, no cookies (a member answers itself); HTTP/2 is offered
// over TLS (many watches share one connection) and HTTP/1.1 is used in clear text; the
// HttpClient's own timeout is off, each request carries its own.
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace KvDb.Client;

/// <summary>Makes the HTTP client of a <see cref="KvClient"/>.</summary>
internal static class KvHttpTransport
{
    /// <summary>An HttpClient set up as <paramref name="options"/> say.</summary>
    /// <exception cref="ArgumentException">A certificate file cannot be read.</exception>
    public static HttpClient Create(KvClientOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = options.ConnectTimeout ?? options.RequestTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            EnableMultipleHttp2Connections = true,
        };

        var trusted = TrustedCas(options);
        var clientCertificate = ClientCertificate(options);
        if (trusted is not null || clientCertificate is not null)
        {
            var ssl = new SslClientAuthenticationOptions();
            if (trusted is not null)
            {
                // The member's chain must end in one of these CAs; the machine's roots are not consulted.
                var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
                policy.CustomTrustStore.AddRange(trusted);
                ssl.CertificateChainPolicy = policy;
            }

            if (clientCertificate is not null)
                ssl.ClientCertificates = [clientCertificate];
            handler.SslOptions = ssl;
        }

        var http = new HttpClient(handler, disposeHandler: true)
        {
            Timeout = Timeout.InfiniteTimeSpan,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        if (Authorization(options) is { } authorization)
            http.DefaultRequestHeaders.Authorization = authorization;
        return http;
    }

    private static AuthenticationHeaderValue? Authorization(KvClientOptions options)
    {
        if (options.Token is { } token)
            return new AuthenticationHeaderValue("Bearer", token);
        if (options.UserName is { } user)
            return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + (options.Password ?? ""))));
        return null;
    }

    private static X509Certificate2Collection? TrustedCas(KvClientOptions options)
    {
        if (options.TrustedCaFile is null && options.TrustedCaCertificates is null)
            return null;
        var trusted = new X509Certificate2Collection();
        if (options.TrustedCaCertificates is { } given)
            trusted.AddRange(given);
        if (options.TrustedCaFile is { } file)
        {
            try
            {
                trusted.ImportFromPemFile(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new ArgumentException($"TrustedCaFile '{file}' cannot be read: {e.Message}", nameof(options), e);
            }
        }

        return trusted.Count > 0 ? trusted : throw new ArgumentException("TrustedCaFile and TrustedCaCertificates hold no certificate.", nameof(options));
    }

    private static X509Certificate2? ClientCertificate(KvClientOptions options)
    {
        if (options.ClientCertificate is { } certificate)
            return certificate;
        if (options.ClientCertificateFile is not { } file)
            return null;
        try
        {
            return X509Certificate2.CreateFromPemFile(file, options.ClientKeyFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new ArgumentException($"ClientCertificateFile '{file}' (key '{options.ClientKeyFile}') cannot be read: {e.Message}", nameof(options), e);
        }
    }
}
