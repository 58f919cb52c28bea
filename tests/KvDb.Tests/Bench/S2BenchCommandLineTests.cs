// Flag parsing of `kvdb bench s2`: the documented defaults, sizes and lists, and one-line errors.
using KvDb.Bench;

namespace KvDb.Tests.Bench;

public sealed class S2BenchCommandLineTests
{
    private static S2BenchOptions Options(params string[] args)
        => S2BenchCommandLine.Parse(args).Should().BeOfType<S2BenchParseResult>().Which.Options;

    private static string Error(params string[] args)
        => S2BenchCommandLine.Parse(args).Should().BeOfType<BenchParseResult.Error>().Which.Message;

    [Fact]
    public void No_flags_run_every_workload_as_the_issue_measures_them()
    {
        var o = Options();
        o.Endpoints.Should().Equal(new Uri("http://127.0.0.1:12380/"));
        o.Workloads.Should().Be(S2Workloads.All);
        o.Sessions.Should().Equal(1, 16);
        o.RecordSize.Should().Be(1024);
        o.Batch.Should().Be(16);
        o.Inflight.Should().Be(4);
        o.Duration.Should().Be(TimeSpan.FromSeconds(8));
        o.CatchUpBytes.Should().Be(1L << 30);
        o.FillBatch.Should().Be(1000, "1000 records of 1 KiB fit S2's 1 MiB per append");
        o.CatchUpRecords.Should().Be(1_049_000, "1 GiB of 1 KiB records, rounded up to whole appends of 1000");
        o.Json.Should().BeFalse();
        o.Authorization.Should().BeNull();
    }

    [Fact]
    public void Flags_set_lists_sizes_and_the_bearer_token()
    {
        var o = Options("--endpoints", "http://a:1,http://b:2", "--workloads", "catchup,append", "--sessions", "2,4,8", "--record-size", "100",
            "--batch", "1000", "--inflight", "1", "--duration", "500ms", "--catchup-size", "64MiB", "--token", "t0k", "--json");
        o.Endpoints.Should().Equal(new Uri("http://a:1/"), new Uri("http://b:2/"));
        o.EndpointOf(3).Should().Be(new Uri("http://b:2/"));
        o.Workloads.Should().Be(S2Workloads.Append | S2Workloads.CatchUp);
        o.Sessions.Should().Equal(2, 4, 8);
        (o.RecordSize, o.Batch, o.Inflight).Should().Be((100, 1000, 1));
        o.Duration.Should().Be(TimeSpan.FromMilliseconds(500));
        o.CatchUpBytes.Should().Be(64L << 20);
        o.Authorization.Should().Be("Bearer t0k");
        o.Json.Should().BeTrue();
        Options("--catchup-size", "1048576").CatchUpBytes.Should().Be(1 << 20);
    }

    [Theory]
    [InlineData("--batch 1000 --record-size 1100", "--batch 1000 of --record-size 1100")]
    [InlineData("--sessions 1,0", "--sessions '0'")]
    [InlineData("--workloads append,read", "--workloads 'read'")]
    [InlineData("--catchup-size 1TB", "--catchup-size '1TB'")]
    [InlineData("--token a --user b:c", "--token and --user")]
    public void Bad_input_is_one_line_naming_the_flag(string args, string start)
        => Error(args.Split(' ')).Should().StartWith(start).And.NotContain("\n");

    [Fact]
    public void Help_lists_every_flag()
    {
        var help = S2BenchCommandLine.Parse(["--help"]).Should().BeOfType<BenchParseResult.Print>().Which.Text;
        foreach (var flag in new[] { "--endpoints", "--workloads", "--sessions", "--record-size", "--batch", "--inflight", "--duration", "--warmup", "--catchup-size", "--timeout", "--json", "--token" })
            help.Should().Contain(flag);
        BenchCommandLine.Help().Should().Contain("kvdb bench s2");
    }
}
