// Real members with TLS and peer authentication: three members with https peer URLs and
// --peer-client-cert-auth elect a leader, take writes through a follower and survive a kill -9
// of the leader; clients and callers without the right certificate are refused at the
// handshake (and the member says why); with --peer-token-file over plain HTTP the peer port
// answers 401 to whoever lacks the proof; and a member that authenticates nobody warns.
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace KvDb.Tests.Security;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class SecureClusterTests : IDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);
    private readonly TestCertificates certificates = new();

    public void Dispose() => certificates.Dispose();

    private static HttpMessageHandler Handler(X509Certificate2 ca, X509Certificate2? clientCertificate) => new SocketsHttpHandler
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            ClientCertificates = clientCertificate is null ? null : [clientCertificate],
            RemoteCertificateValidationCallback = (sender, certificate, _, _)
                => CertificateCheck.Problem(certificate, null, [ca], CertificateUse.Server, ((SslStream)sender).TargetHostName) is null,
        },
    };

    // Every member: its own certificate on both ports, client and peer certificates required.
    private ClusterTransport MutualTls()
    {
        var root = certificates.Issue("root", server: false);
        var files = Enumerable.Range(1, 3).Select(id => certificates.Write($"member-{id}", certificates.Issue($"member-{id}"))).ToArray();
        return new ClusterTransport("https", "https", id =>
        [
            "--peer-cert-file", files[id - 1].Certificate, "--peer-key-file", files[id - 1].Key,
            "--peer-trusted-ca-file", certificates.CaFile, "--peer-client-cert-auth",
            "--cert-file", files[id - 1].Certificate, "--key-file", files[id - 1].Key,
            "--client-cert-auth", "--trusted-ca-file", certificates.CaFile,
        ], () => Handler(certificates.Ca, root));
    }

    [Fact]
    public async Task Three_https_members_with_peer_certificates_elect_serve_and_survive_a_kill_9_of_the_leader()
    {
        await using var cluster = await KvdbCluster.StartAsync(MutualTls(), 3, "--election-timeout", "500ms");
        var leader = await cluster.WaitForLeaderAsync();
        var follower = new[] { 1, 2, 3 }.First(id => id != leader);

        (await cluster.PutAsync(follower, "secret-key", "through a follower")).StatusCode.Should().Be(HttpStatusCode.NoContent, cluster.Describe());
        foreach (var id in new[] { 1, 2, 3 })
            (await cluster.GetAsync(id, "secret-key")).Should().Be("through a follower");

        var members = await cluster.MembersAsync(follower);
        members.Select(m => m.PeerUrl).Should().OnlyContain(url => url.StartsWith("https://", StringComparison.Ordinal));
        members.Select(m => m.HttpUrl).Should().OnlyContain(url => url!.StartsWith("https://", StringComparison.Ordinal));
        cluster.Describe().Should().NotContain("trusts anyone who can reach it");

        await cluster.Member(leader).KillAsync();
        var survivor = new[] { 1, 2, 3 }.First(id => id != leader);
        await cluster.WaitForLeaderAsync(except: leader);
        await cluster.PutWithRetryAsync(survivor, "after-kill", "still served");
        foreach (var id in new[] { 1, 2, 3 }.Where(id => id != leader))
            await cluster.WaitForValueAsync(id, "after-kill", "still served");
    }

    [Fact]
    public async Task With_auth_enabled_a_client_certificates_common_name_is_the_user()
    {
        await using var cluster = await KvdbCluster.StartAsync(MutualTls(), 1);
        var json = (string text) => new StringContent(text, System.Text.Encoding.UTF8, "application/json");
        (await cluster.Client.PostAsync(new Uri(cluster.Url(1), "v1/auth/roles"), json("""{"name": "pub", "permissions": [{"prefix": "pub/", "access": "readwrite"}]}"""))).StatusCode.Should().Be(HttpStatusCode.Created);
        (await cluster.Client.PostAsync(new Uri(cluster.Url(1), "v1/auth/users"), json("""{"name": "root", "password": "rootpw"}"""))).StatusCode.Should().Be(HttpStatusCode.Created);
        (await cluster.Client.PostAsync(new Uri(cluster.Url(1), "v1/auth/users"), json("""{"name": "ann", "password": "annpw", "roles": ["pub"]}"""))).StatusCode.Should().Be(HttpStatusCode.Created);
        (await cluster.Client.PostAsync(new Uri(cluster.Url(1), "v1/auth/enable"), null)).StatusCode.Should().Be(HttpStatusCode.OK);

        // The cluster's client presents CN=root: it may administer.
        (await cluster.Client.GetAsync(new Uri(cluster.Url(1), "v1/auth/users"))).StatusCode.Should().Be(HttpStatusCode.OK);

        using var ann = new HttpClient(Handler(certificates.Ca, certificates.Issue("ann", server: false))) { Timeout = TimeSpan.FromSeconds(10) };
        (await ann.PutAsync(cluster.KeyUrl(1, "pub/a"), new StringContent("1"))).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await ann.PutAsync(cluster.KeyUrl(1, "private"), new StringContent("1"))).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await ann.GetAsync(new Uri(cluster.Url(1), "v1/auth/users"))).StatusCode.Should().Be(HttpStatusCode.Forbidden);

        using var stranger = new HttpClient(Handler(certificates.Ca, certificates.Issue("zed", server: false))) { Timeout = TimeSpan.FromSeconds(10) };
        (await stranger.GetAsync(cluster.KeyUrl(1, "pub/a"))).StatusCode.Should().Be(HttpStatusCode.Unauthorized, "CN=zed is not a user");
    }

    [Fact]
    public async Task Over_TLS_the_client_port_speaks_HTTP2_and_carries_several_watches_on_one_connection()
    {
        await using var cluster = await KvdbCluster.StartAsync(MutualTls(), 1);
        using var client = new HttpClient(Handler(certificates.Ca, certificates.Issue("root", server: false)))
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(30),
        };

        using var first = await client.GetAsync(new Uri(cluster.Url(1), "v1/watch?key=h2/a"), HttpCompletionOption.ResponseHeadersRead);
        using var second = await client.GetAsync(new Uri(cluster.Url(1), "v1/watch?prefix=h2/"), HttpCompletionOption.ResponseHeadersRead);
        first.Version.Should().Be(HttpVersion.Version20);
        second.Version.Should().Be(HttpVersion.Version20);

        using (var put = await client.PutAsync(cluster.KeyUrl(1, "h2/a"), new StringContent("1")))
            put.StatusCode.Should().Be(HttpStatusCode.NoContent);

        foreach (var watch in new[] { first, second })
        {
            using var reader = new StreamReader(await watch.Content.ReadAsStreamAsync());
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            string? line;
            do
                line = await reader.ReadLineAsync(timeout.Token);
            while (line is not null && !line.Contains("\"put\"", StringComparison.Ordinal));
            line.Should().Contain("h2/a");
        }
    }

    [Fact]
    public async Task Callers_without_the_right_certificate_are_refused_at_the_handshake_and_named_in_the_log()
    {
        await using var cluster = await KvdbCluster.StartAsync(MutualTls());

        // A client with no certificate on the client port of member 1.
        using (var anonymous = new HttpClient(Handler(certificates.Ca, null)) { Timeout = TimeSpan.FromSeconds(10) })
            await FluentActions.Awaiting(() => anonymous.GetAsync(cluster.KeyUrl(1, "secret-key"))).Should().ThrowAsync<HttpRequestException>();
        await cluster.Member(1).WaitForOutputAsync("The client port refused a TLS connection from 127.0.0.1");
        cluster.Member(1).Output.Should().Contain("it presented no certificate");

        // A caller with a certificate from another CA on the peer port of member 2: not a member.
        var stranger = certificates.Issue("mallory", issuer: TestCertificates.CreateCa("stranger CA"));
        using (var impostor = new HttpClient(Handler(certificates.Ca, stranger)) { Timeout = TimeSpan.FromSeconds(10) })
            await FluentActions.Awaiting(() => impostor.PostAsync(new Uri(cluster.PeerUrl(2) + "/internal/v1/read-index"), null)).Should().ThrowAsync<HttpRequestException>();
        await cluster.Member(2).WaitForOutputAsync("The peer port refused a TLS connection from 127.0.0.1");
        cluster.Member(2).Output.Should().Contain("CN=mallory").And.Contain("not issued by a trusted CA");

        // The cluster is unaffected.
        await cluster.PutWithRetryAsync(3, "after-strangers", "ok");
        (await cluster.GetAsync(1, "after-strangers")).Should().Be("ok");
    }

    [Fact]
    public async Task A_peer_token_cluster_serves_and_its_peer_port_answers_401_without_the_proof()
    {
        var tokenFile = Path.Combine(certificates.Directory, "peer-token");
        await File.WriteAllTextAsync(tokenFile, "correct horse battery staple\n");
        await using var cluster = await KvdbCluster.StartAsync(3, "--peer-token-file", tokenFile);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = new[] { 1, 2, 3 }.First(id => id != leader);

        // Forwarded writes and read indices carry the proof.
        (await cluster.PutAsync(follower, "token-key", "v")).StatusCode.Should().Be(HttpStatusCode.NoContent, cluster.Describe());
        (await cluster.GetAsync(follower, "token-key")).Should().Be("v");

        using var stranger = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        foreach (var path in new[] { "/internal/v1/read-index", "/cluster-consensus/raft" })
        {
            using var refused = await stranger.PostAsync(new Uri(cluster.PeerUrl(leader) + path), null);
            refused.StatusCode.Should().Be(HttpStatusCode.Unauthorized, path);
            refused.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        }

        await cluster.Member(leader).WaitForOutputAsync("The peer port refused POST /internal/v1/read-index from 127.0.0.1");
        cluster.Describe().Should().NotContain("trusts anyone who can reach it");
    }

    [Fact]
    public async Task A_member_whose_peer_port_authenticates_nobody_warns_at_start()
    {
        var ports = FreePorts.Take(2);
        await using var member = new KvdbProcess(1, ["--cluster", $"http://127.0.0.1:{ports[0]}", "--port", ports[1].ToString(CultureInfo.InvariantCulture), "--in-memory"]);
        member.Start();

        await member.WaitForOutputAsync("trusts anyone who can reach it", TimeSpan.FromSeconds(30));
        member.Output.Should().Contain("use --peer-token-file or --peer-client-cert-auth");
    }

    [Fact]
    public async Task Unusable_security_settings_stop_the_member_with_one_line()
    {
        var ports = FreePorts.Take(2);
        string[] Member(params string[] more) => ["--cluster", $"{(more.Contains("https") ? "https" : "http")}://127.0.0.1:{ports[0]}", "--port", ports[1].ToString(CultureInfo.InvariantCulture), "--in-memory", .. more.Where(a => a != "https")];

        var (code, output) = await KvdbProcess.RunToExitAsync(Member("https"), ExitTimeout);
        code.Should().Be(2, output);
        OneLine(output).Should().Contain("--peer-cert-file");

        var empty = Path.Combine(certificates.Directory, "empty-token");
        await File.WriteAllTextAsync(empty, "  \n");
        (code, output) = await KvdbProcess.RunToExitAsync(Member("--peer-token-file", empty), ExitTimeout);
        code.Should().Be(1, output);
        OneLine(output).Should().Contain("--peer-token-file").And.Contain("is empty");

        var missing = Path.Combine(certificates.Directory, "missing.pem");
        (code, output) = await KvdbProcess.RunToExitAsync(Member("--cert-file", missing, "--key-file", missing), ExitTimeout);
        code.Should().Be(1, output);
        OneLine(output).Should().Contain("--cert-file").And.Contain(missing);

        static string OneLine(string output)
        {
            output.Trim().Split('\n').Should().ContainSingle(output).Which.Should().StartWith("kvdb: ");
            return output;
        }
    }
}
