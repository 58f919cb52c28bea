// Flag parsing of `kvdb bench`: defaults, every flag, and one-line errors for bad input.
using KvDb.Bench;

namespace KvDb.Tests.Bench;

public sealed class BenchCommandLineTests
{
    private static BenchOptions Options(params string[] args)
        => BenchCommandLine.Parse(args).Should().BeOfType<BenchParseResult.Run>().Which.Options;

    private static string Error(params string[] args)
        => BenchCommandLine.Parse(args).Should().BeOfType<BenchParseResult.Error>().Which.Message;

    [Fact]
    public void No_flags_bench_a_local_kvdb_member_with_the_documented_defaults()
    {
        var o = Options();
        o.Target.Should().Be(BenchTarget.Kvdb);
        o.Endpoints.Should().Equal(new Uri("http://127.0.0.1:12380/"));
        o.Duration.Should().Be(TimeSpan.FromSeconds(10));
        o.Warmup.Should().Be(TimeSpan.FromSeconds(1));
        o.Concurrency.Should().Be(64);
        o.ValueSize.Should().Be(100);
        o.Keys.Should().Be(10_000);
        o.Mix.ToString().Should().Be("put=50,get=50");
        o.Consistency.Should().Be(BenchConsistency.Linearizable);
        o.RequestVersion.Should().Be(System.Net.HttpVersion.Version20, "kvdb's client package sends HTTP/2");
        o.IdempotencyKeys.Should().BeFalse();
        o.TargetRate.Should().BeNull();
        o.Timeout.Should().Be(TimeSpan.FromSeconds(10));
        o.Preload.Should().BeTrue("the default mix has gets");
        o.Json.Should().BeFalse();
        o.Watchers.Should().Be(0, "watch mode is off unless asked for");
        o.WatchRanges.Should().Be(250);
        o.WatchUri.Should().Be(new Uri("http://127.0.0.1:12380/"));
    }

    [Fact]
    public void The_HTTP_version_is_2_for_kvdb_and_1_1_for_etcds_gateway_unless_given()
    {
        Options("--target", "etcd").RequestVersion.Should().Be(System.Net.HttpVersion.Version11, "etcd's JSON gateway takes only HTTP/1.1");
        Options("--http-version", "1.1").RequestVersion.Should().Be(System.Net.HttpVersion.Version11);
        Options("--target", "etcd", "--http-version", "2").RequestVersion.Should().Be(System.Net.HttpVersion.Version20);
    }

    [Fact]
    public void Idempotency_keys_are_for_kvdb_only()
    {
        Options("--idempotency-keys").IdempotencyKeys.Should().BeTrue();
        Error("--target", "etcd", "--idempotency-keys").Should().Contain("--idempotency-keys needs --target kvdb");
    }

    [Fact]
    public void Every_flag_is_read_in_both_spellings()
    {
        var o = Options(
            "--endpoints", "http://127.0.0.1:1,http://localhost:2/", "--target=etcd", "--duration", "2s", "--warmup=200ms",
            "--concurrency", "256", "--value-size=0", "--keys", "7", "--mix", "put=20, get=80", "--consistency=local",
            "--http-version=2", "--idempotency-keys=false", "--target-rate", "5000", "--timeout", "1.5s", "--preload=false", "--json");
        o.Endpoints.Should().Equal(new Uri("http://127.0.0.1:1/"), new Uri("http://localhost:2/"));
        o.Target.Should().Be(BenchTarget.Etcd);
        o.Duration.Should().Be(TimeSpan.FromSeconds(2));
        o.Warmup.Should().Be(TimeSpan.FromMilliseconds(200));
        o.Concurrency.Should().Be(256);
        o.ValueSize.Should().Be(0);
        o.Keys.Should().Be(7);
        o.Mix.Percent(OperationKind.Put).Should().Be(20);
        o.Mix.Percent(OperationKind.Get).Should().Be(80);
        o.Consistency.Should().Be(BenchConsistency.Local);
        o.RequestVersion.Should().Be(System.Net.HttpVersion.Version20);
        o.TargetRate.Should().Be(5000);
        o.Timeout.Should().Be(TimeSpan.FromMilliseconds(1500));
        o.Preload.Should().BeFalse();
        o.Json.Should().BeTrue();
    }

    [Fact]
    public void Watch_flags_are_read_in_both_spellings()
    {
        var o = Options("--endpoints", "http://127.0.0.1:1,http://127.0.0.1:2", "--watchers", "1000", "--watch-ranges=250", "--watch-endpoint", "http://127.0.0.1:2");
        o.Watchers.Should().Be(1000);
        o.WatchRanges.Should().Be(250);
        o.WatchUri.Should().Be(new Uri("http://127.0.0.1:2/"));
    }

    [Fact]
    public void The_watch_endpoint_defaults_to_the_first_endpoint()
        => Options("--endpoints", "http://127.0.0.1:7,http://127.0.0.1:8", "--watchers", "3").WatchUri.Should().Be(new Uri("http://127.0.0.1:7/"));

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("100000")]
    public void Watchers_take_0_to_100000(string watchers)
        => Options("--watchers", watchers).Watchers.Should().Be(int.Parse(watchers, System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void Watch_ranges_take_1_to_the_number_of_keys()
    {
        Options("--watchers", "10", "--keys", "50", "--watch-ranges", "50").WatchRanges.Should().Be(50);
        Options("--watchers", "10", "--keys", "50", "--watch-ranges", "1").WatchRanges.Should().Be(1);
        Error("--watchers", "10", "--keys", "50", "--watch-ranges", "51").Should().Contain("--watch-ranges").And.Contain("--keys").And.NotContain("\n");
        Options("--keys", "50").WatchRanges.Should().Be(250, "without watchers the ranges are not used, so the default does not have to fit");
    }

    [Fact]
    public void Watch_mode_is_refused_for_etcd()
    {
        var error = Error("--target", "etcd", "--watchers", "10");
        error.Should().Contain("--watchers").And.Contain("--target kvdb").And.NotContain("\n");
        Options("--target", "etcd", "--watchers", "0").Watchers.Should().Be(0);
    }

    [Fact]
    public void Etcd_defaults_to_etcds_client_port()
        => Options("--target", "etcd").Endpoints.Should().Equal(new Uri("http://127.0.0.1:2379/"));

    [Fact]
    public void Preloading_follows_the_mix_unless_told()
    {
        Options("--mix", "put=100").Preload.Should().BeFalse("nothing reads the keys");
        Options("--mix", "get=100").Preload.Should().BeTrue();
        Options("--mix", "put=100", "--preload").Preload.Should().BeTrue();
    }

    [Fact]
    public void Workers_are_spread_round_robin_over_the_endpoints()
    {
        var o = Options("--endpoints", "http://a:1,http://b:2,http://c:3", "--concurrency", "64");
        new[] { o.WorkersOn(0), o.WorkersOn(1), o.WorkersOn(2) }.Should().Equal(22, 21, 21);
    }

    [Theory]
    [InlineData("--concurrency", "0")]
    [InlineData("--concurrency", "many")]
    [InlineData("--keys", "0")]
    [InlineData("--value-size", "-1")]
    [InlineData("--duration", "0s")]
    [InlineData("--duration", "soon")]
    [InlineData("--warmup", "-1s")]
    [InlineData("--timeout", "0ms")]
    [InlineData("--target-rate", "0")]
    [InlineData("--target", "redis")]
    [InlineData("--consistency", "eventual")]
    [InlineData("--http-version", "3")]
    [InlineData("--mix", "put=60,get=60")]
    [InlineData("--endpoints", "127.0.0.1:12380")]
    [InlineData("--endpoints", "http://127.0.0.1:12380/v1")]
    [InlineData("--endpoints", "ftp://127.0.0.1:12380")]
    [InlineData("--endpoints", "http://127.0.0.1:12380,")]
    [InlineData("--watchers", "-1")]
    [InlineData("--watchers", "100001")]
    [InlineData("--watch-ranges", "0")]
    [InlineData("--watch-endpoint", "127.0.0.1:12380")]
    [InlineData("--watch-endpoint", "http://127.0.0.1:12380/v1/watch")]
    [InlineData("--watch-endpoint", "http://127.0.0.1:1,http://127.0.0.1:2")]
    [InlineData("--preload=maybe", null)]
    [InlineData("--json=yes-please", null)]
    public void Bad_values_are_one_line_errors_naming_the_flag(string flag, string? value)
    {
        var error = value is null ? Error(flag) : Error(flag, value);
        error.Should().NotContain("\n").And.NotBeNullOrWhiteSpace();
        error.Should().Contain(flag.Split('=')[0]);
    }

    [Fact]
    public void Unknown_flags_and_stray_words_are_errors()
    {
        Error("--concurency", "8").Should().Contain("unknown flag '--concurency'");
        Error("fast").Should().Contain("unexpected argument 'fast'");
    }

    [Fact]
    public void A_flag_without_its_value_says_which_value_it_needs()
        => Error("--duration").Should().Contain("--duration DURATION");

    [Fact]
    public void Help_explains_every_flag()
    {
        var help = BenchCommandLine.Parse(["--help"]).Should().BeOfType<BenchParseResult.Print>().Which.Text;
        foreach (var flag in new[] { "--endpoints", "--target", "--duration", "--warmup", "--concurrency", "--value-size", "--keys", "--mix", "--consistency", "--http-version", "--idempotency-keys", "--target-rate", "--timeout", "--preload", "--watchers", "--watch-ranges", "--watch-endpoint", "--json" })
            help.Should().Contain(flag);
        BenchCommandLine.Parse(["-h"]).Should().BeOfType<BenchParseResult.Print>();
    }

    [Fact]
    public void Kvdb_help_mentions_the_bench_subcommand()
        => KvDb.Node.Hosting.CommandLine.Help().Should().Contain("kvdb bench");
}
