// kvdb's TLS and peer-authentication pipeline in one in-process Kestrel server (no Raft):
// the port serves the certificate its files hold now, refuses client certificates from
// another CA or none at the handshake (one warning naming the address and the reason), makes
// the client certificate's common name the request's user, and the peer port refuses requests
// without the peer proof with 401 problem details. The member-to-member clients (the
// IHttpMessageHandlerFactory handlers NodeSecurity registers) present the peer certificate,
// check the server's against the peer CA and its host name, and send the proof. With
// --peer-cert-allowed-cn/-hostname both sides also want an allowed name: the peer port from its
// callers, a member's client from the peer it calls.
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

using Microsoft.Extensions.Logging;

namespace KvDb.Tests.Security;

public sealed class TlsPortTests : IDisposable
{
    private readonly TestCertificates certificates = new();
    private readonly LogCapture log = new();

    public void Dispose() => certificates.Dispose();

    // One server: the port is both the client port and the peer port of the options, so the
    // test picks which by choosing options (PeerEndPoint's port is the listening port or not).
    private async Task<(WebApplication App, int Port)> StartAsync(SecurityOptions security, bool listenAsPeerPort)
    {
        var port = FreePorts.Take(1)[0];
        var options = new NodeOptions
        {
            PeerEndPoint = new IPEndPoint(IPAddress.Loopback, listenAsPeerPort ? port : 1),
            ClusterUrls = [$"{(security.PeerTls ? "https" : "http")}://127.0.0.1:{(listenAsPeerPort ? port : 1)}"],
            Port = listenAsPeerPort ? 1 : port,
            DataDir = certificates.Directory,
            Security = security,
        };
        var loaded = NodeSecurity.Load(options);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(log);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listenAsPeerPort ? loaded.ServePeerPort : loaded.ServeClientPort));
        builder.Services.AddNodeSecurity(loaded, options);
        builder.Services.AddProblemDetails();
        var app = builder.Build();
        app.UseNodeSecurity(options);
        app.MapGet("/whoami", (HttpContext context) => new { name = context.User.Identity?.Name, type = context.User.Identity?.AuthenticationType });
        await app.StartAsync();
        return (app, port);
    }

    private static HttpClient Client(X509Certificate2Collection trust, X509Certificate2? clientCertificate = null, Action<X509Certificate2>? seen = null)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.Zero,
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    seen?.Invoke(X509CertificateLoader.LoadCertificate(certificate!.GetRawCertData()));
                    return CertificateCheck.Problem(certificate, null, trust, CertificateUse.Server, "127.0.0.1") is null;
                },
            },
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
    }

    [Fact]
    public async Task The_client_port_serves_a_rotated_certificate_on_the_next_connection()
    {
        var first = certificates.Issue("member-1");
        var (certificateFile, keyFile) = certificates.Write("member-1", first);
        var (app, port) = await StartAsync(new SecurityOptions { CertFile = certificateFile, KeyFile = keyFile }, listenAsPeerPort: false);
        await using var _ = app;
        var served = new List<string>();

        using (var client = Client([certificates.Ca], seen: c => served.Add(c.Thumbprint)))
            (await client.GetAsync($"https://127.0.0.1:{port}/whoami")).StatusCode.Should().Be(HttpStatusCode.OK);
        served.Should().Equal(first.Thumbprint);

        var second = certificates.Issue("member-1");
        certificates.Write("member-1", second);
        app.Services.GetRequiredService<NodeSecurity>().ClientTls!.Certificate.Check();

        using (var client = Client([certificates.Ca], seen: c => served.Add(c.Thumbprint)))
            (await client.GetAsync($"https://127.0.0.1:{port}/whoami")).StatusCode.Should().Be(HttpStatusCode.OK);
        served.Should().Equal(first.Thumbprint, second.Thumbprint);
    }

    [Fact]
    public async Task Client_certificate_auth_refuses_strangers_at_the_handshake_and_names_the_user()
    {
        var (certificateFile, keyFile) = certificates.Write("member-1", certificates.Issue("member-1"));
        var (app, port) = await StartAsync(new SecurityOptions { CertFile = certificateFile, KeyFile = keyFile, ClientCertAuth = true, TrustedCaFile = certificates.CaFile }, listenAsPeerPort: false);
        await using var _ = app;
        var url = $"https://127.0.0.1:{port}/whoami";

        using (var anonymous = Client([certificates.Ca]))
            await FluentActions.Awaiting(() => anonymous.GetAsync(url)).Should().ThrowAsync<HttpRequestException>();
        await Eventually.WaitUntilAsync(() => log.Matching(LogLevel.Warning, "presented no certificate").Count > 0, "the refusal of a client without a certificate to be logged", state: log.Describe);
        log.Matching(LogLevel.Warning, "presented no certificate").Should().ContainSingle().Which.Should().Contain("client port").And.Contain("127.0.0.1:");

        var strangerCa = TestCertificates.CreateCa("stranger CA");
        using (var stranger = Client([certificates.Ca], certificates.Issue("root", issuer: strangerCa)))
        {
            // Rate-limited per address: the first refusal from this address was logged already.
            await FluentActions.Awaiting(() => stranger.GetAsync(url)).Should().ThrowAsync<HttpRequestException>();
        }

        using var root = Client([certificates.Ca], certificates.Issue("root", server: false));
        var user = await root.GetFromJsonAsync<Dictionary<string, string?>>(url);
        user.Should().Contain("name", "root").And.Contain("type", PeerAuthentication.ClientCertificateAuthenticationType);
        log.Matching(LogLevel.Warning, "refused").Should().ContainSingle(log.Describe());
    }

    [Fact]
    public async Task A_client_certificate_from_another_ca_is_refused_with_the_reason()
    {
        var (certificateFile, keyFile) = certificates.Write("member-1", certificates.Issue("member-1"));
        var (app, port) = await StartAsync(new SecurityOptions { CertFile = certificateFile, KeyFile = keyFile, ClientCertAuth = true, TrustedCaFile = certificates.CaFile }, listenAsPeerPort: false);
        await using var _ = app;

        using var stranger = Client([certificates.Ca], certificates.Issue("mallory", issuer: TestCertificates.CreateCa("stranger CA")));
        await FluentActions.Awaiting(() => stranger.GetAsync($"https://127.0.0.1:{port}/whoami")).Should().ThrowAsync<HttpRequestException>();

        await Eventually.WaitUntilAsync(() => log.Matching(LogLevel.Warning, "CN=mallory").Count > 0, "the refusal to be logged", state: log.Describe);
        log.Matching(LogLevel.Warning, "CN=mallory").Should().ContainSingle().Which.Should().Contain("127.0.0.1").And.Contain("not issued by a trusted CA");
    }

    [Fact]
    public async Task Members_clients_present_their_certificate_and_check_the_peers_host_name()
    {
        var (certificateFile, keyFile) = certificates.Write("member-1", certificates.Issue("member-1"));
        var security = new SecurityOptions
        {
            PeerCertFile = certificateFile,
            PeerKeyFile = keyFile,
            PeerTrustedCaFile = certificates.CaFile,
            PeerClientCertAuth = true,
        };
        var (app, port) = await StartAsync(security, listenAsPeerPort: true);
        await using var _ = app;

        // The member's own kvdb-peer client passes both checks: it presents member-1's
        // certificate and accepts the server's for 127.0.0.1 (the whoami endpoint is not
        // PeerOnly, but PeerPort's policy is not part of this pipeline).
        var handlers = app.Services.GetRequiredService<IHttpMessageHandlerFactory>();
        using var member = new HttpClient(handlers.CreateHandler(PeerClient.HandlerName), disposeHandler: false);
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{port}/whoami"))
        {
            // Closed after the answer, so the next request makes a new handshake.
            request.Headers.ConnectionClose = true;
            (await member.SendAsync(request)).StatusCode.Should().Be(HttpStatusCode.OK);
        }

        // A certificate naming another host is refused by the caller, which says why.
        certificates.Write("member-1", certificates.Issue("member-1", names: ["member-1.example"]));
        app.Services.GetRequiredService<NodeSecurity>().PeerTls!.Certificate.Check();
        await FluentActions.Awaiting(() => member.GetAsync($"https://127.0.0.1:{port}/whoami")).Should().ThrowAsync<HttpRequestException>();
        await Eventually.WaitUntilAsync(() => log.Matching(LogLevel.Warning, "does not name the host '127.0.0.1'").Count > 0, "the caller to log the host mismatch", state: log.Describe);
        log.Matching(LogLevel.Warning, "does not name the host").Should().ContainSingle().Which.Should().Contain("member at 127.0.0.1").And.Contain("member-1.example");
    }

    [Fact]
    public async Task With_an_allowed_common_name_the_peer_port_refuses_other_certificates_of_its_CA_and_lets_the_member_in()
    {
        var (certificateFile, keyFile) = certificates.Write("member-1", certificates.Issue("member-1"));
        var security = new SecurityOptions
        {
            PeerCertFile = certificateFile,
            PeerKeyFile = keyFile,
            PeerTrustedCaFile = certificates.CaFile,
            PeerClientCertAuth = true,
            PeerCertAllowedCns = ["member-1"],
        };
        var (app, port) = await StartAsync(security, listenAsPeerPort: true);
        await using var _ = app;
        var url = $"https://127.0.0.1:{port}/whoami";

        var handlers = app.Services.GetRequiredService<IHttpMessageHandlerFactory>();
        using (var member = new HttpClient(handlers.CreateHandler(PeerClient.HandlerName), disposeHandler: false))
            (await member.GetAsync(url)).StatusCode.Should().Be(HttpStatusCode.OK);

        using (var ann = Client([certificates.Ca], certificates.Issue("ann", server: false)))
            await FluentActions.Awaiting(() => ann.GetAsync(url)).Should().ThrowAsync<HttpRequestException>();
        await Eventually.WaitUntilAsync(() => log.Matching(LogLevel.Warning, "CN=ann").Count > 0, "the refusal of CN=ann to be logged", state: log.Describe);
        log.Matching(LogLevel.Warning, "CN=ann").Should().ContainSingle().Which.Should()
            .Contain("The peer port refused a TLS connection from 127.0.0.1").And.Contain("--peer-cert-allowed-cn allows only member-1");
    }

    [Fact]
    public async Task With_an_allowed_host_name_a_member_refuses_to_call_a_peer_whose_certificate_does_not_name_it()
    {
        // The server does not ask for client certificates here (a setting SecurityFlags refuses,
        // made directly), so only the calling member's check of the server is at work.
        var (certificateFile, keyFile) = certificates.Write("member-1", certificates.Issue("member-1"));
        var security = new SecurityOptions
        {
            PeerCertFile = certificateFile,
            PeerKeyFile = keyFile,
            PeerTrustedCaFile = certificates.CaFile,
            PeerCertAllowedHostnames = ["peer.kvdb.test"],
        };
        var (app, port) = await StartAsync(security, listenAsPeerPort: true);
        await using var _ = app;
        var url = $"https://127.0.0.1:{port}/whoami";

        var handlers = app.Services.GetRequiredService<IHttpMessageHandlerFactory>();
        using var member = new HttpClient(handlers.CreateHandler(PeerClient.HandlerName), disposeHandler: false);
        await FluentActions.Awaiting(() => member.GetAsync(url)).Should().ThrowAsync<HttpRequestException>();
        await Eventually.WaitUntilAsync(() => log.Matching(LogLevel.Warning, "--peer-cert-allowed-hostname").Count > 0, "the caller to log the refusal", state: log.Describe);
        log.Matching(LogLevel.Warning, "--peer-cert-allowed-hostname").Should().ContainSingle().Which.Should()
            .Contain("Refused the TLS certificate of the member at 127.0.0.1").And.Contain("CN=member-1").And.Contain("(peer.kvdb.test)");

        // A certificate that names the host is accepted on the next connection.
        certificates.Write("member-1", certificates.Issue("member-1", names: ["127.0.0.1", "peer.kvdb.test"]));
        app.Services.GetRequiredService<NodeSecurity>().PeerTls!.Certificate.Check();
        (await member.GetAsync(url)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_peer_port_answers_401_without_the_proof_and_lets_members_through()
    {
        var tokenFile = Path.Combine(certificates.Directory, "peer-token");
        await File.WriteAllTextAsync(tokenFile, "correct horse battery staple\n");
        var (app, port) = await StartAsync(new SecurityOptions { PeerTokenFile = tokenFile }, listenAsPeerPort: true);
        await using var _ = app;
        var url = $"http://127.0.0.1:{port}/internal/v1/read-index";

        using var stranger = new HttpClient();
        for (var i = 0; i < 3; i++)
        {
            using var refused = await stranger.PostAsync(url, null);
            refused.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            refused.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
            (await refused.Content.ReadAsStringAsync()).Should().Contain(PeerToken.HeaderName).And.NotContain("correct horse");
        }

        using var forged = new HttpRequestMessage(HttpMethod.Post, url);
        forged.Headers.Add(PeerToken.HeaderName, "Y29ycmVjdCBob3JzZQ==");
        (await stranger.SendAsync(forged)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        log.Matching(LogLevel.Warning, "refused POST /internal/v1/read-index from 127.0.0.1").Should().ContainSingle("one line per address per 10 s; {0}", log.Describe());

        // A member's client carries the proof: the request gets past the check (and finds no such endpoint here).
        var handlers = app.Services.GetRequiredService<IHttpMessageHandlerFactory>();
        using var member = new HttpClient(handlers.CreateHandler(PeerHttpClients.RaftClientName), disposeHandler: false);
        (await member.GetAsync($"http://127.0.0.1:{port}/whoami")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await member.PostAsync(url, null)).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_unauthenticated_peer_port_is_warned_about_once_at_start()
    {
        var (app, _) = await StartAsync(SecurityOptions.None, listenAsPeerPort: true);
        await using var __ = app;

        log.Matching(LogLevel.Warning, "trusts anyone who can reach it").Should().ContainSingle()
            .Which.Should().Contain("--peer-token-file").And.Contain("--peer-client-cert-auth");
    }
}
