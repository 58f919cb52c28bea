// kvdb bench against a server that wants TLS and credentials: --cacert trusts a private CA
// for https endpoints (without it the handshake fails and is counted as "tls"), --token and
// --user put the Authorization header on every request. In-process: a small Kestrel server
// records what arrives.
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using KvDb.Bench;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace KvDb.Tests.Bench;

[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "The certificates are disposed in IAsyncLifetime.DisposeAsync, which xUnit calls after each test; the rule does not know xUnit's lifetime interface.")]
public sealed class BenchSecurityTests : IAsyncLifetime
{
    private readonly TestCertificates certificates = new();
    private readonly ConcurrentBag<string> authorizations = [];
    private WebApplication? server;
    private int port;

    public async Task InitializeAsync()
    {
        var certificate = certificates.Issue("member-1");
        port = FreePorts.Take(1)[0];
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.UseHttps(certificate)));
        server = builder.Build();
        server.MapPut("/{key}", (HttpContext context) =>
        {
            authorizations.Add(context.Request.Headers.Authorization.ToString());
            return Results.NoContent();
        });
        await server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (server is not null)
            await server.DisposeAsync();
        certificates.Dispose();
    }

    private Task<BenchResult> RunAsync(params string[] more) => RunForAsync("300ms", more);

    private async Task<BenchResult> RunForAsync(string duration, params string[] more)
    {
        string[] args = ["--endpoints", $"https://127.0.0.1:{port}", "--duration", duration, "--warmup", "0s", "--concurrency", "2", "--keys", "10", "--mix", "put=100", .. more];
        var options = BenchCommandLine.Parse(args).Should().BeOfType<BenchParseResult.Run>().Which.Options;
        return (await BenchCommand.RunAsync(options, TextWriter.Null, rewriteProgressInPlace: false, CancellationToken.None))!;
    }

    [Fact]
    public async Task With_the_ca_and_a_token_every_request_succeeds_and_carries_the_bearer_token()
    {
        var result = await RunAsync("--cacert", certificates.CaFile, "--token", "s3cr3t-token");

        result.Total.Ops.Should().BePositive();
        result.Total.Errors.Should().Be(0);
        authorizations.Should().NotBeEmpty().And.OnlyContain(value => value == "Bearer s3cr3t-token");
    }

    [Fact]
    public async Task A_user_is_sent_as_basic_authentication()
    {
        var result = await RunAsync("--cacert", certificates.CaFile, "--user", "root:pass:word");

        result.Total.Errors.Should().Be(0);
        authorizations.Should().NotBeEmpty().And.OnlyContain(value => value == "Basic cm9vdDpwYXNzOndvcmQ=");
    }

    [Fact]
    public async Task Without_the_ca_the_private_certificate_is_refused_and_counted_as_tls_errors()
    {
        // Long enough that refused handshakes finish inside the measured window even on a busy
        // machine whose first handshake is slow (a cold TLS path); every one of them is refused.
        var result = await RunForAsync("3s");

        result.Total.Ops.Should().Be(0);
        result.Errors.Should().ContainKey("tls");
        authorizations.Should().BeEmpty();
    }

    [Fact]
    public void Bad_authentication_flags_are_one_line_errors()
    {
        Error("--cacert", Path.Combine(certificates.Directory, "missing.pem")).Should().Contain("--cacert");
        Error("--user", "nocolon").Should().Contain("--user");
        Error("--user", ":password").Should().Contain("--user");
        Error("--token", "two words").Should().Contain("--token");
        Error("--token", "a", "--user", "b:c").Should().Contain("--token").And.Contain("--user");
        BenchCommandLine.Help().Should().Contain("--cacert").And.Contain("--token").And.Contain("--user");

        static string Error(params string[] args)
        {
            var message = BenchCommandLine.Parse(args).Should().BeOfType<BenchParseResult.Error>().Which.Message;
            message.Should().NotContain("\n");
            return message;
        }
    }

    [Fact]
    public void Etcd_gets_the_token_without_a_scheme()
        => BenchCommandLine.Parse(["--target", "etcd", "--token", "abc.def"]).Should().BeOfType<BenchParseResult.Run>().Which.Options.Authorization.Should().Be("abc.def");
}
