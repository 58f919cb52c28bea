// The client's TLS and credential options against real members: a CA file and a client
// certificate for a member with --client-cert-auth; Basic credentials and a bearer token once
// auth is enabled; refusals as exceptions; a watch that outlives a role grant (reopened with the
// client's own credentials) and ends with 403 when its role is revoked.
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace KvDb.Client.Tests;

[Collection(ClientClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class SecurityTests : IDisposable
{
    private readonly TestCertificates certificates = new();

    public void Dispose() => certificates.Dispose();

    [Fact]
    public async Task A_ca_file_and_a_client_certificate_file_reach_a_member_that_requires_them()
    {
        var member = certificates.Write("member", certificates.Issue("member-1"));
        var root = certificates.Issue("root");
        var client = certificates.Write("client", root);
        var transport = new ClusterTransport("http", "https", _ =>
        [
            "--cert-file", member.Certificate, "--key-file", member.Key,
            "--client-cert-auth", "--trusted-ca-file", certificates.CaFile,
        ], () =>
        {
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.Add(certificates.Ca);
            return new SocketsHttpHandler { SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy, ClientCertificates = [root] } };
        });
        await using var cluster = await KvdbCluster.StartAsync(transport, 1, "--in-memory");

        await using var kv = new KvClient(new KvClientOptions
        {
            Endpoints = [cluster.Url(1)],
            TrustedCaFile = certificates.CaFile,
            ClientCertificateFile = client.Certificate,
            ClientKeyFile = client.Key,
        });
        await kv.PutAsync("tls/k", "over tls");
        (await kv.GetAsync("tls/k"))!.ValueAsString().Should().Be("over tls");

        await using var anonymous = new KvClient(new KvClientOptions { Endpoints = [cluster.Url(1)], TrustedCaFile = certificates.CaFile, OperationTimeout = TimeSpan.FromSeconds(1) });
        await FluentActions.Awaiting(() => anonymous.GetAsync("tls/k").AsTask()).Should().ThrowAsync<KvUnavailableException>("the member refuses the handshake without a certificate");
    }

    [Fact]
    public async Task Basic_credentials_and_a_bearer_token_are_let_in_and_no_credentials_are_401()
    {
        await using var cluster = await KvdbCluster.StartAsync(1, "--in-memory");
        using var admin = cluster.NewClient(TimeSpan.FromSeconds(30));
        async Task PostAsync(string path, string json)
        {
            using var response = await admin.PostAsync(new Uri(cluster.Url(1), path), new StringContent(json, Encoding.UTF8, "application/json"));
            response.IsSuccessStatusCode.Should().BeTrue(await response.Content.ReadAsStringAsync());
        }

        await PostAsync("v1/auth/roles", """{"name": "app", "permissions": [{"prefix": "app/", "access": "readwrite"}]}""");
        await PostAsync("v1/auth/users", """{"name": "root", "password": "rootpw"}""");
        await PostAsync("v1/auth/users", """{"name": "ann", "password": "annpw", "roles": ["app"]}""");
        await PostAsync("v1/auth/enable", "");

        await using var basic = new KvClient(new KvClientOptions { Endpoints = [cluster.Url(1)], UserName = "ann", Password = "annpw" });
        await basic.PutAsync("app/k", "by ann");
        (await basic.GetAsync("app/k"))!.ValueAsString().Should().Be("by ann");
        (await FluentActions.Awaiting(() => basic.GetAsync("other/k").AsTask()).Should().ThrowAsync<KvException>()).Which.StatusCode.Should().Be(HttpStatusCode.Forbidden);

        using var tokenResponse = await admin.PostAsync(new Uri(cluster.Url(1), "v1/auth/token"), new StringContent("""{"name": "ann", "password": "annpw"}""", Encoding.UTF8, "application/json"));
        var token = JsonDocument.Parse(await tokenResponse.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString();
        await using var bearer = new KvClient(new KvClientOptions { Endpoints = [cluster.Url(1)], Token = token });
        (await bearer.GetAsync("app/k"))!.ValueAsString().Should().Be("by ann");

        await using var nobody = new KvClient(new KvClientOptions { Endpoints = [cluster.Url(1)] });
        var refused = await FluentActions.Awaiting(() => nobody.GetAsync("app/k").AsTask()).Should().ThrowAsync<KvException>();
        refused.Which.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        refused.Which.Title.Should().NotBeNullOrEmpty();
    }

    [Fact]
    public async Task A_watch_goes_on_after_a_role_grant_and_ends_with_403_when_the_role_is_revoked()
    {
        await using var cluster = await KvdbCluster.StartAsync(1, "--in-memory");
        using var admin = cluster.NewClient(TimeSpan.FromSeconds(30));
        var root = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("root:rootpw")));
        async Task SendAsync(HttpMethod method, string path, string? json = null)
        {
            using var request = new HttpRequestMessage(method, new Uri(cluster.Url(1), path)) { Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = root;
            using var response = await admin.SendAsync(request);
            response.IsSuccessStatusCode.Should().BeTrue($"{method} {path}: {await response.Content.ReadAsStringAsync()}");
        }

        await SendAsync(HttpMethod.Post, "v1/auth/roles", """{"name": "app", "permissions": [{"prefix": "app/", "access": "readwrite"}]}""");
        await SendAsync(HttpMethod.Post, "v1/auth/roles", """{"name": "other", "permissions": [{"prefix": "other/", "access": "read"}]}""");
        await SendAsync(HttpMethod.Post, "v1/auth/users", """{"name": "root", "password": "rootpw"}""");
        await SendAsync(HttpMethod.Post, "v1/auth/users", """{"name": "ann", "password": "annpw", "roles": ["app"]}""");
        await SendAsync(HttpMethod.Post, "v1/auth/enable");

        await using var ann = new KvClient(new KvClientOptions { Endpoints = [cluster.Url(1)], UserName = "ann", Password = "annpw" });
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var first = await ann.PutAsync("app/1", "before");
        var seen = new List<string>();
        var watching = Task.Run(async () =>
        {
            await foreach (var e in ann.WatchAsync("app/", first - 1, new WatchOptions { Prefix = true }, deadline.Token))
            {
                lock (seen)
                    seen.Add(e.ToString());
            }
        });
        string[] Seen()
        {
            lock (seen)
                return [.. seen];
        }

        await Eventually.WaitUntilAsync(() => Seen().Any(s => s.StartsWith("put app/1@", StringComparison.Ordinal)), "the watch to see app/1", TimeSpan.FromSeconds(30), () => string.Join(", ", Seen()));

        // A grant changes ann's generation: the member ends the stream with 401, and the client's own credentials reopen it.
        await SendAsync(HttpMethod.Post, "v1/auth/users/ann/roles", """{"role": "other"}""");
        await ann.PutAsync("app/2", "after the grant");
        await Eventually.WaitUntilAsync(() => Seen().Any(s => s.StartsWith("put app/2@", StringComparison.Ordinal)), "the watch to see app/2 after the grant", TimeSpan.FromSeconds(30), () => string.Join(", ", Seen()));

        await SendAsync(HttpMethod.Delete, "v1/auth/users/ann/roles/app");
        var ended = await FluentActions.Awaiting(() => watching).Should().ThrowAsync<KvException>();
        ended.Which.StatusCode.Should().Be(HttpStatusCode.Forbidden, string.Join(", ", Seen()));
        Seen().Should().OnlyHaveUniqueItems();
    }
}
