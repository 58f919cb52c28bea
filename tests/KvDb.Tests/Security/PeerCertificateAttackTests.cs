// Issue 26, finding 2, "any client certificate counts as a member": with one CA behind both
// --trusted-ca-file and --peer-trusted-ca-file (as scripts/make-certs and Procfile.tls had it), a
// client certificate CN=ann (no roles) posted SetAuthCommand{Enabled=false} to the peer port's
// /internal/v1/propose, and auth was off for everyone. Now: members with a peer CA of their own
// refuse her at the handshake and still replicate; with one CA, --peer-cert-allowed-cn or
// --peer-cert-allowed-hostname refuses her (and lets the members through); and a member with one
// CA and no such rule warns when it starts.
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using KvDb.Core.Auth;
using KvDb.Core.Commands;

namespace KvDb.Tests.Security;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class PeerCertificateAttackTests : IDisposable
{
    private const string SharedCaWarning = "The client port and the peer port trust the same CA";

    // A name only the members' certificates carry, for --peer-cert-allowed-hostname.
    private const string MemberHost = "peer.kvdb.test";

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

    // The single-CA setup scripts/make-certs and Procfile.tls used to make: one certificate per
    // member from the client CA on both ports, and that CA trusted for clients and peers.
    private ClusterTransport SharedCa(params string[] rule)
    {
        var root = certificates.Issue("root", server: false);
        var files = Enumerable.Range(1, 3).Select(id => certificates.Write($"member-{id}", certificates.Issue($"member-{id}", names: ["127.0.0.1", "localhost", MemberHost]))).ToArray();
        return new ClusterTransport("https", "https", id =>
        [
            "--peer-cert-file", files[id - 1].Certificate, "--peer-key-file", files[id - 1].Key,
            "--peer-trusted-ca-file", certificates.CaFile, "--peer-client-cert-auth",
            "--cert-file", files[id - 1].Certificate, "--key-file", files[id - 1].Key,
            "--client-cert-auth", "--trusted-ca-file", certificates.CaFile, .. rule,
        ], () => Handler(certificates.Ca, root));
    }

    // As scripts/make-certs makes them now: client-port certificates from the client CA, peer
    // certificates from the peer CA, each port trusting its own.
    private ClusterTransport SeparateCas()
    {
        var root = certificates.Issue("root", server: false);
        var client = Enumerable.Range(1, 3).Select(id => certificates.Write($"member-{id}", certificates.Issue($"member-{id}"))).ToArray();
        var peer = Enumerable.Range(1, 3).Select(id => certificates.Write($"peer-{id}", certificates.Issue($"member-{id}", issuer: certificates.PeerCa))).ToArray();
        return new ClusterTransport("https", "https", id =>
        [
            "--peer-cert-file", peer[id - 1].Certificate, "--peer-key-file", peer[id - 1].Key,
            "--peer-trusted-ca-file", certificates.PeerCaFile, "--peer-client-cert-auth",
            "--cert-file", client[id - 1].Certificate, "--key-file", client[id - 1].Key,
            "--client-cert-auth", "--trusted-ca-file", certificates.CaFile,
        ], () => Handler(certificates.Ca, root));
    }

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    // Users root and ann (no roles), auth on; the cluster's client presents CN=root.
    private static async Task EnableAuthAsync(KvdbCluster cluster)
    {
        (await cluster.Client.PostAsync(new Uri(cluster.Url(1), "v1/auth/users"), Json("""{"name": "root", "password": "rootpw"}"""))).StatusCode.Should().Be(HttpStatusCode.Created);
        (await cluster.Client.PostAsync(new Uri(cluster.Url(1), "v1/auth/users"), Json("""{"name": "ann", "password": "annpw"}"""))).StatusCode.Should().Be(HttpStatusCode.Created);
        (await cluster.Client.PostAsync(new Uri(cluster.Url(1), "v1/auth/enable"), null)).StatusCode.Should().Be(HttpStatusCode.OK);
        foreach (var member in cluster.Members)
            await Eventually.WaitUntilAsync(() => AuthEnabledAsync(cluster, member.Id), $"member {member.Id} to apply auth/enable", KvdbCluster.Patience, cluster.Describe);
    }

    private static async Task<bool> AuthEnabledAsync(KvdbCluster cluster, int id)
    {
        using var status = JsonDocument.Parse(await cluster.Client.GetStringAsync(new Uri(cluster.Url(id), "v1/auth/status")));
        return status.RootElement.GetProperty("enabled").GetBoolean();
    }

    // The attack as the issue wrote it: ann's client certificate, a forwarded batch holding
    // SetAuthCommand{Enabled=false}, posted to member id's peer port (whose certificate the
    // attacker takes from either CA). Returns the HTTP status, or "refused: ..." when the
    // connection failed.
    private async Task<string> ProposeAuthOffAsync(KvdbCluster cluster, int id, X509Certificate2 clientCertificate)
    {
        X509Certificate2Collection eitherCa = [certificates.Ca, certificates.PeerCa];
        using var attacker = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [clientCertificate],
                RemoteCertificateValidationCallback = (sender, certificate, _, _)
                    => CertificateCheck.Problem(certificate, null, eitherCa, CertificateUse.Server, ((SslStream)sender).TargetHostName) is null,
            },
        })
        { Timeout = TimeSpan.FromSeconds(10) };
        using var content = new ByteArrayContent(LogEntryCodec.Encode([new SetAuthCommand { Enabled = false }], DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        content.Headers.ContentType = new MediaTypeHeaderValue(WriteForwarder.MediaType);
        try
        {
            using var response = await attacker.PostAsync(new Uri(cluster.PeerUrl(id) + WriteForwarder.Path), content);
            return $"{(int)response.StatusCode} {response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
        }
        catch (HttpRequestException e)
        {
            return $"refused: {e.Message}";
        }
    }

    [Fact]
    public async Task A_client_certificate_posting_auth_off_to_the_peer_port_of_members_with_their_own_CA_is_refused_and_auth_stays_on()
    {
        await using var cluster = await KvdbCluster.StartAsync(SeparateCas(), 1);
        await EnableAuthAsync(cluster);

        var outcome = await ProposeAuthOffAsync(cluster, 1, certificates.Issue("ann", server: false));

        outcome.Should().StartWith("refused", cluster.Describe());
        (await AuthEnabledAsync(cluster, 1)).Should().BeTrue(outcome);
        await cluster.Member(1).WaitForOutputAsync("The peer port refused a TLS connection from 127.0.0.1");
        cluster.Member(1).Output.Should().Contain("CN=ann").And.Contain("not issued by a trusted CA").And.NotContain(SharedCaWarning);
    }

    [Theory]
    [InlineData("--peer-cert-allowed-cn", "member-1,member-2,member-3", "--peer-cert-allowed-cn allows only member-1, member-2, member-3")]
    [InlineData("--peer-cert-allowed-hostname", MemberHost, "names none of the hosts --peer-cert-allowed-hostname allows (" + MemberHost + ")")]
    public async Task With_one_CA_for_both_ports_an_allowed_name_refuses_a_client_certificate_on_the_peer_port_and_lets_members_replicate(string flag, string names, string reason)
    {
        await using var cluster = await KvdbCluster.StartAsync(SharedCa(flag, names), 3);
        await EnableAuthAsync(cluster);

        // ann's certificate is from the CA the peer port trusts, and names 127.0.0.1 and localhost.
        var ann = certificates.Issue("ann", server: false);
        foreach (var id in new[] { 1, 2, 3 })
            (await ProposeAuthOffAsync(cluster, id, ann)).Should().StartWith("refused", $"member {id}: {cluster.Describe()}");

        foreach (var id in new[] { 1, 2, 3 })
        {
            (await AuthEnabledAsync(cluster, id)).Should().BeTrue($"member {id}");
            await cluster.Member(id).WaitForOutputAsync("The peer port refused a TLS connection from 127.0.0.1");
            cluster.Member(id).Output.Should().Contain($"certificate 'CN=ann'").And.Contain(reason).And.NotContain(SharedCaWarning);
        }

        var leader = await cluster.WaitForLeaderAsync();
        var follower = new[] { 1, 2, 3 }.First(id => id != leader);
        (await cluster.PutAsync(follower, "after-ann", "members still talk")).StatusCode.Should().Be(HttpStatusCode.NoContent, cluster.Describe());
        foreach (var id in new[] { 1, 2, 3 })
            await cluster.WaitForValueAsync(id, "after-ann", "members still talk");
        cluster.Describe().Should().NotContain("CN=member-", "no member refuses another");
    }

    [Fact]
    public async Task Three_members_with_separate_client_and_peer_CAs_elect_and_replicate()
    {
        await using var cluster = await KvdbCluster.StartAsync(SeparateCas(), 3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = new[] { 1, 2, 3 }.First(id => id != leader);

        (await cluster.PutAsync(follower, "two-cas", "through a follower")).StatusCode.Should().Be(HttpStatusCode.NoContent, cluster.Describe());
        foreach (var id in new[] { 1, 2, 3 })
            await cluster.WaitForValueAsync(id, "two-cas", "through a follower");

        var members = await cluster.MembersAsync(follower);
        members.Should().HaveCount(3).And.OnlyContain(m => m.PeerUrl.StartsWith("https://", StringComparison.Ordinal) && m.Reachable);
        cluster.Describe().Should().NotContain(SharedCaWarning).And.NotContain("refused");
    }

    [Fact]
    public async Task A_member_whose_client_and_peer_ports_trust_the_same_CA_without_a_name_rule_warns_at_start()
    {
        var member = certificates.Write("member-1", certificates.Issue("member-1"));
        var copy = Path.Combine(certificates.Directory, "peer-copy-of-ca.pem");
        File.Copy(certificates.CaFile, copy);
        var peer = certificates.Write("peer-1", certificates.Issue("member-1", issuer: certificates.PeerCa));

        string[] Member(string peerCertificate, string peerKey, string peerCa, params string[] more)
        {
            var ports = FreePorts.Take(2);
            return ["--id", "1", "--cluster", $"https://127.0.0.1:{ports[0]}", "--port", ports[1].ToString(CultureInfo.InvariantCulture), "--in-memory",
                "--peer-cert-file", peerCertificate, "--peer-key-file", peerKey, "--peer-trusted-ca-file", peerCa, "--peer-client-cert-auth",
                "--cert-file", member.Certificate, "--key-file", member.Key, "--client-cert-auth", "--trusted-ca-file", certificates.CaFile, .. more];
        }

        // The same file, and the same CA in another file: a warning naming the CA.
        foreach (var peerCa in new[] { certificates.CaFile, copy })
        {
            await using var process = new KvdbProcess(1, Member(member.Certificate, member.Key, peerCa));
            process.Start();
            await process.WaitForOutputAsync(SharedCaWarning, TimeSpan.FromSeconds(30));
            process.Output.Should().Contain("'CN=kvdb test CA'").And.Contain("--peer-cert-allowed-cn");
        }

        // No warning with an allowed-name rule, with a peer token, or with a peer CA of its own.
        string[][] quiet =
        [
            Member(member.Certificate, member.Key, certificates.CaFile, "--peer-cert-allowed-cn", "member-1"),
            Member(member.Certificate, member.Key, certificates.CaFile, "--peer-token-file", await TokenFileAsync()),
            Member(peer.Certificate, peer.Key, certificates.PeerCaFile),
        ];
        foreach (var args in quiet)
        {
            await using var process = new KvdbProcess(1, args);
            process.Start();
            await process.WaitForOutputAsync("Member 1 started", TimeSpan.FromSeconds(30));
            process.Output.Should().NotContain(SharedCaWarning, string.Join(' ', args));
        }
    }

    private async Task<string> TokenFileAsync()
    {
        var file = Path.Combine(certificates.Directory, "peer-token");
        await File.WriteAllTextAsync(file, "correct horse battery staple\n");
        return file;
    }
}
