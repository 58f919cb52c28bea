// The client's and the CLI's account calls against a real member with auth on: changing one's
// own password needs the current one (the CLI takes it from --user), root sets another user's
// without it, and rotating the signing key voids tokens and needs root.
using System.Net;
using System.Text;
using System.Text.Json;
using KvDb.Cli;

namespace KvDb.Client.Tests;

[Collection(ClientClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class AccountTests
{
    [Fact]
    public async Task Password_changes_and_key_rotation_through_the_client_and_the_cli()
    {
        await using var cluster = await KvdbCluster.StartAsync(1, "--in-memory");
        using var admin = cluster.NewClient(TimeSpan.FromSeconds(30));
        async Task<HttpResponseMessage> PostAsync(string path, string json)
            => await admin.PostAsync(new Uri(cluster.Url(1), path), new StringContent(json, Encoding.UTF8, "application/json"));
        foreach (var (path, json) in new[]
        {
            ("v1/auth/roles", """{"name": "app", "permissions": [{"prefix": "app/", "access": "readwrite"}]}"""),
            ("v1/auth/users", """{"name": "root", "password": "rootpw"}"""),
            ("v1/auth/users", """{"name": "ann", "password": "annpw", "roles": ["app"]}"""),
            ("v1/auth/enable", ""),
        })
        {
            using var response = await PostAsync(path, json);
            response.IsSuccessStatusCode.Should().BeTrue(await response.Content.ReadAsStringAsync());
        }

        KvClient Client(string user, string password) => new(new KvClientOptions { Endpoints = [cluster.Url(1)], UserName = user, Password = password });

        await using (var ann = Client("ann", "annpw"))
        {
            var refused = await FluentActions.Awaiting(() => ann.ChangePasswordAsync("ann", "annpw2").AsTask()).Should().ThrowAsync<KvException>();
            refused.Which.StatusCode.Should().Be(HttpStatusCode.BadRequest, "her own password needs the current one");
            var wrong = await FluentActions.Awaiting(() => ann.ChangePasswordAsync("ann", "annpw2", "guess").AsTask()).Should().ThrowAsync<KvException>();
            wrong.Which.StatusCode.Should().Be(HttpStatusCode.Forbidden);
            await ann.ChangePasswordAsync("ann", "annpw2", "annpw");
        }

        await using (var root = Client("root", "rootpw"))
        {
            await root.ChangePasswordAsync("ann", "annpw3");
            using var issued = await PostAsync("v1/auth/token", """{"name": "ann", "password": "annpw3"}""");
            var token = JsonDocument.Parse(await issued.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString();
            await using var bearer = new KvClient(new KvClientOptions { Endpoints = [cluster.Url(1)], Token = token });
            (await bearer.GetAsync("app/none")).Should().BeNull();

            await root.RotateSigningKeyAsync();
            (await FluentActions.Awaiting(() => bearer.GetAsync("app/none").AsTask()).Should().ThrowAsync<KvException>()).Which.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        }

        var endpoints = cluster.Url(1).ToString();
        (await RunCliAsync(endpoints, "annpw4\n", "user", "passwd", "ann", "--user", "root:rootpw")).Code.Should().Be(ExitCodes.Ok);
        (await RunCliAsync(endpoints, "annpw5\n", "user", "passwd", "ann", "--user", "ann:annpw4")).Code.Should().Be(ExitCodes.Ok, "--user's password is the current one");
        (await RunCliAsync(endpoints, "x\n", "user", "passwd", "ann", "--user", "ann:wrong")).Code.Should().Be(ExitCodes.NotFoundOrFailed);
        var denied = await RunCliAsync(endpoints, "", "auth", "rotate-key", "--user", "ann:annpw5");
        denied.Code.Should().Be(ExitCodes.NotFoundOrFailed);
        denied.Error.Should().Contain("403");
        (await RunCliAsync(endpoints, "", "auth", "rotate-key", "--user", "root:rootpw")).Code.Should().Be(ExitCodes.Ok);
    }

    private static async Task<(int Code, string Out, string Error)> RunCliAsync(string endpoints, string stdin, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var environment = new Dictionary<string, string> { ["KVDB_ENDPOINTS"] = endpoints };
        var code = await CliProgram.RunAsync(args, new CliConsole(new StringReader(stdin), stdout, stderr, environment.GetValueOrDefault), CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
