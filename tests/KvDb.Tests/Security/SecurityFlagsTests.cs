// The TLS and peer-authentication flags: each has a KVDB_* variable, they must fit together,
// and anything that does not is a one-line command-line error.
namespace KvDb.Tests.Security;

public sealed class SecurityFlagsTests
{
    private const string HttpsCluster = "https://127.0.0.1:12379,https://127.0.0.1:22379,https://127.0.0.1:32379";

    private static CommandLineOutcome Parse(string[] args, Dictionary<string, string>? env = null)
        => CommandLine.Parse(args, name => env is not null && env.TryGetValue(name, out var v) ? v : null);

    private static SecurityOptions Security(string[] args, Dictionary<string, string>? env = null)
        => Parse(args, env).Should().BeOfType<CommandLineOutcome.Run>().Which.Options.Security;

    private static string Error(params string[] args)
    {
        var message = Parse(args).Should().BeOfType<CommandLineOutcome.Error>().Which.Message;
        message.Should().NotContain("\n");
        return message;
    }

    [Fact]
    public void Without_flags_nothing_is_protected()
    {
        var options = Parse([]).Should().BeOfType<CommandLineOutcome.Run>().Which.Options;
        options.Security.Should().Be(SecurityOptions.None);
        options.Security.PeerAuthenticated.Should().BeFalse();
        options.AdvertisedHttpUrl.Should().StartWith("http://");
    }

    [Fact]
    public void Https_peer_urls_with_peer_certificates_and_client_certificates()
    {
        var parsed = Parse(["--id", "2", "--cluster", HttpsCluster, "--port", "22380",
            "--peer-cert-file", "m2.pem", "--peer-key-file", "m2-key.pem", "--peer-trusted-ca-file", "ca.pem", "--peer-client-cert-auth",
            "--cert-file", "m2.pem", "--key-file", "m2-key.pem", "--client-cert-auth", "--trusted-ca-file", "ca.pem"])
            .Should().BeOfType<CommandLineOutcome.Run>().Which.Options;

        parsed.PeerUrl.Should().Be("https://127.0.0.1:22379");
        parsed.AdvertisedHttpUrl.Should().Be("https://127.0.0.1:22380");
        parsed.Security.PeerCertFile.Should().Be(Path.GetFullPath("m2.pem"));
        parsed.Security.PeerTls.Should().BeTrue();
        parsed.Security.PeerClientCertAuth.Should().BeTrue();
        parsed.Security.ClientCertAuth.Should().BeTrue();
        parsed.Security.PeerAuthenticated.Should().BeTrue();
    }

    [Fact]
    public void Every_flag_falls_back_to_its_environment_variable()
    {
        var env = new Dictionary<string, string>
        {
            ["KVDB_CLUSTER"] = "https://127.0.0.1:12379",
            ["KVDB_PEER_CERT_FILE"] = "p.pem",
            ["KVDB_PEER_KEY_FILE"] = "p-key.pem",
            ["KVDB_PEER_TRUSTED_CA_FILE"] = "pca.pem",
            ["KVDB_PEER_CLIENT_CERT_AUTH"] = "true",
            ["KVDB_CERT_FILE"] = "c.pem",
            ["KVDB_KEY_FILE"] = "c-key.pem",
            ["KVDB_CLIENT_CERT_AUTH"] = "1",
            ["KVDB_TRUSTED_CA_FILE"] = "ca.pem",
            ["KVDB_PEER_TOKEN_FILE"] = "token",
        };

        var security = Security([], env);

        security.Should().BeEquivalentTo(new SecurityOptions
        {
            PeerCertFile = Path.GetFullPath("p.pem"),
            PeerKeyFile = Path.GetFullPath("p-key.pem"),
            PeerTrustedCaFile = Path.GetFullPath("pca.pem"),
            PeerClientCertAuth = true,
            CertFile = Path.GetFullPath("c.pem"),
            KeyFile = Path.GetFullPath("c-key.pem"),
            ClientCertAuth = true,
            TrustedCaFile = Path.GetFullPath("ca.pem"),
            PeerTokenFile = Path.GetFullPath("token"),
        });
        CommandLine.Help().Should().Contain("KVDB_PEER_TOKEN_FILE").And.Contain("--peer-client-cert-auth");
    }

    [Fact]
    public void A_peer_token_alone_authenticates_the_peer_port_over_plain_http()
        => Security(["--peer-token-file", "secret"]).PeerAuthenticated.Should().BeTrue();

    [Fact]
    public void An_https_member_needs_its_peer_certificate()
    {
        Error("--cluster", "https://127.0.0.1:12379").Should().Contain("https").And.Contain("--peer-cert-file");

        // Only this member's own URL decides: member 1 is http, member 2 https.
        Security(["--id", "1", "--cluster", "http://127.0.0.1:12379,https://127.0.0.1:22379"]).PeerTls.Should().BeFalse();
        Error("--id", "2", "--cluster", "http://127.0.0.1:12379,https://127.0.0.1:22379").Should().Contain("--peer-cert-file");
    }

    [Theory]
    [InlineData("--cert-file", "--key-file", "c.pem")]
    [InlineData("--key-file", "--cert-file", "c-key.pem")]
    public void A_certificate_and_its_key_come_together(string given, string missing, string file)
        => Error(given, file).Should().Contain(missing);

    [Fact]
    public void Flags_that_do_not_fit_together_are_one_line_errors()
    {
        Error("--peer-cert-file", "p.pem", "--peer-key-file", "k.pem").Should().Contain("http").And.Contain("https://");
        Error("--cluster", "https://127.0.0.1:12379", "--peer-cert-file", "p.pem").Should().Contain("--peer-key-file");
        Error("--peer-client-cert-auth").Should().Contain("https://");
        Error("--cluster", "https://127.0.0.1:12379", "--peer-cert-file", "p.pem", "--peer-key-file", "k.pem", "--peer-client-cert-auth").Should().Contain("--peer-trusted-ca-file");
        Error("--client-cert-auth").Should().Contain("--cert-file");
        Error("--client-cert-auth", "--cert-file", "c.pem", "--key-file", "k.pem").Should().Contain("--trusted-ca-file");
        Error("--trusted-ca-file", "ca.pem").Should().Contain("--client-cert-auth");
        Error("--peer-token-file", " ").Should().Contain("--peer-token-file");
        Error("--peer-client-cert-auth=maybe").Should().Contain("--peer-client-cert-auth");
    }

    [Fact]
    public void Allowed_peer_names_are_comma_separated_one_kind_at_a_time_and_need_peer_client_cert_auth()
    {
        string[] mutualTls = ["--id", "2", "--cluster", HttpsCluster, "--peer-cert-file", "p.pem", "--peer-key-file", "p-key.pem", "--peer-trusted-ca-file", "pca.pem", "--peer-client-cert-auth"];

        var byName = Security([.. mutualTls, "--peer-cert-allowed-cn", "member-1, member-2,member-1"]);
        byName.PeerCertAllowedCns.Should().Equal("member-1", "member-2");
        byName.PeerCertificateNames.Restricts.Should().BeTrue();
        Security(mutualTls).PeerCertificateNames.Should().BeSameAs(PeerCertificateNames.Any);

        var byHost = Security(mutualTls, new Dictionary<string, string> { ["KVDB_PEER_CERT_ALLOWED_HOSTNAME"] = "peer.kvdb.test,10.0.0.7,[::1]" });
        byHost.PeerCertAllowedHostnames.Should().Equal("peer.kvdb.test", "10.0.0.7", "[::1]");

        Error([.. mutualTls[..^1], "--peer-cert-allowed-cn", "member-1"]).Should().Contain("--peer-cert-allowed-cn needs --peer-client-cert-auth");
        Error([.. mutualTls, "--peer-cert-allowed-cn", "member-1", "--peer-cert-allowed-hostname", "peer.kvdb.test"])
            .Should().Contain("--peer-cert-allowed-cn").And.Contain("--peer-cert-allowed-hostname").And.Contain("do not go together");
        Error([.. mutualTls, "--peer-cert-allowed-cn", "member-1,,member-2"]).Should().Contain("--peer-cert-allowed-cn").And.Contain("without empty ones");
        Error([.. mutualTls, "--peer-cert-allowed-hostname", "*.kvdb.test"]).Should().Contain("'*.kvdb.test' is not a host name");
        CommandLine.Help().Should().Contain("--peer-cert-allowed-cn").And.Contain("KVDB_PEER_CERT_ALLOWED_HOSTNAME");
    }

    [Fact]
    public void Http_and_https_on_one_port_are_the_same_member()
        => Error("--cluster", "http://127.0.0.1:12379,https://127.0.0.1:12379").Should().Contain("twice");

    [Fact]
    public void Peer_urls_keep_their_scheme_when_normalised()
    {
        PeerUrl.Normalize("HTTPS://Member-1.Example:12379/").Should().Be("https://member-1.example:12379");
        PeerUrl.Normalize("http://127.0.0.1:12379").Should().Be("http://127.0.0.1:12379");
        PeerUrl.Normalize("tcp://127.0.0.1:12379").Should().Be("http://127.0.0.1:12379");
        PeerUrl.Normalize("ftp://127.0.0.1:12379").Should().BeNull();
        PeerUrl.IsHttps("https://127.0.0.1:12379").Should().BeTrue();
    }
}
