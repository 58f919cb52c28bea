// `kvdb bench --target etcd` in-process against a fake of etcd's v3 JSON gateway (real etcd is
// not on CI machines): the run preloads through /v3/kv/put, reads through /v3/kv/range, sends
// "serializable" only for local reads, and tells found keys from missing ones. The warm-up is
// generous because the fake JIT-compiles its range handler on the first reads, which on a busy
// 2-core machine can outlast a short window (the bench is right to then record nothing).
using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using KvDb.Bench;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KvDb.Tests.Bench;

public sealed class EtcdTargetTests
{
    [Theory]
    [InlineData("linearizable", 0)]
    [InlineData("local", 1)]
    public async Task A_preloaded_get_run_finds_every_key_with_the_right_read_mode(string consistency, int serializable)
    {
        await using var etcd = await FakeEtcdGateway.StartAsync();
        var options = Options(etcd.Url, "--mix", "get=100", "--consistency", consistency);

        var log = new StringWriter();
        var result = await BenchCommand.RunAsync(options, log, false, CancellationToken.None);

        result.Should().NotBeNull();
        result!.Total.Ops.Should().BePositive(log.ToString() + ResultPrinter.Table(result));
        result.Total.Errors.Should().Be(0);
        result.Total.NotFound.Should().Be(0);
        etcd.Stored.Should().HaveCount(50, "the preload put every key");
        etcd.Reads.Should().BePositive();
        (etcd.SerializableReads == etcd.Reads ? 1 : etcd.SerializableReads == 0 ? 0 : -1).Should().Be(serializable);
    }

    [Fact]
    public async Task Gets_of_keys_never_written_are_counted_as_not_found()
    {
        await using var etcd = await FakeEtcdGateway.StartAsync();
        var result = await BenchCommand.RunAsync(Options(etcd.Url, "--mix", "get=100", "--preload=false"), TextWriter.Null, false, CancellationToken.None);
        result!.Total.NotFound.Should().Be(result.Total.Ops).And.BePositive();
        result.Total.Errors.Should().Be(0);
    }

    [Fact]
    public async Task Gateway_errors_are_counted_by_status()
    {
        await using var etcd = await FakeEtcdGateway.StartAsync(failPuts: true);
        var result = await BenchCommand.RunAsync(Options(etcd.Url, "--mix", "put=100"), TextWriter.Null, false, CancellationToken.None);
        result!.Total.Ops.Should().Be(0);
        result.Errors.Keys.Should().Equal("http 503");
    }

    private static BenchOptions Options(string url, params string[] more)
        => BenchCommandLine.Parse(["--target", "etcd", "--endpoints", url, "--duration", "1s", "--warmup", "1s", "--concurrency", "4", "--keys", "50", .. more])
            .Should().BeOfType<BenchParseResult.Run>().Which.Options;

    /// <summary>Just enough of etcd's grpc-gateway: put and range of single keys, JSON with base64.</summary>
    private sealed class FakeEtcdGateway : IAsyncDisposable
    {
        private readonly WebApplication app;
        private int reads;
        private int serializableReads;

        private FakeEtcdGateway(WebApplication app) => this.app = app;

        public ConcurrentDictionary<string, string> Stored { get; } = new();

        public int Reads => Volatile.Read(ref reads);

        public int SerializableReads => Volatile.Read(ref serializableReads);

        public string Url => app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        public static async Task<FakeEtcdGateway> StartAsync(bool failPuts = false)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var fake = new FakeEtcdGateway(app);
            app.MapPost("/v3/kv/put", async (HttpContext context) =>
            {
                using var body = await JsonDocument.ParseAsync(context.Request.Body);
                if (failPuts)
                    return Results.Json(new { error = "etcdserver: request timed out", code = 14 }, statusCode: 503);
                fake.Stored[body.RootElement.GetProperty("key").GetString()!] = body.RootElement.GetProperty("value").GetString()!;
                return Results.Text("""{"header":{"revision":"2"}}""", "application/json");
            });
            app.MapPost("/v3/kv/range", async (HttpContext context) =>
            {
                using var body = await JsonDocument.ParseAsync(context.Request.Body);
                Interlocked.Increment(ref fake.reads);
                if (body.RootElement.TryGetProperty("serializable", out var s) && s.GetBoolean())
                    Interlocked.Increment(ref fake.serializableReads);
                var key = body.RootElement.GetProperty("key").GetString()!;
                return fake.Stored.TryGetValue(key, out var value)
                    ? Results.Text($$"""{"header":{"revision":"2"},"kvs":[{"key":"{{key}}","value":"{{value}}"}],"count":"1"}""", "application/json")
                    : Results.Text("""{"header":{"revision":"2"}}""", "application/json");
            });
            await app.StartAsync();
            return fake;
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
