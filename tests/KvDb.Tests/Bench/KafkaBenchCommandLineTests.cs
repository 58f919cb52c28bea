// Flag parsing of `kvdb bench kafka`: the documented defaults (the sizes and writer
// counts, klstore's flush interval), lists, and one-line errors.
using KvDb.Bench;

namespace KvDb.Tests.Bench;

public sealed class KafkaBenchCommandLineTests
{
    private static KafkaBenchOptions Options(params string[] args)
        => KafkaBenchCommandLine.Parse(args).Should().BeOfType<KafkaBenchParseResult>().Which.Options;

    private static string Error(params string[] args)
        => KafkaBenchCommandLine.Parse(args).Should().BeOfType<BenchParseResult.Error>().Which.Message;

    [Fact]
    public void No_flags_measure_100_bytes_and_1_KiB_with_1_and_4_writers_at_klstores_flush_interval()
    {
        var o = Options();
        o.Endpoints.Should().Equal(new Uri("http://127.0.0.1:12380/"));
        o.Records.Should().Be(100_000);
        o.RecordSizes.Should().Equal(100, 1024);
        o.Writers.Should().Equal(1, 4);
        o.Partitions.Should().Be(4);
        o.Keys.Should().Be(64);
        o.FlushInterval.Should().Be(TimeSpan.FromSeconds(1));
        o.LagRate.Should().Be(1000);
        o.LagDuration.Should().Be(TimeSpan.FromSeconds(10));
        o.LagKeys.Should().Be(16);
        o.Json.Should().BeFalse();
    }

    [Fact]
    public void Flags_set_lists_sizes_and_durations()
    {
        var o = Options("--record-sizes", "8,1KiB", "--writers", "2,8", "--records", "5", "--flush-interval", "20ms", "--lag-rate", "0", "--json");
        o.RecordSizes.Should().Equal(8, 1024);
        o.Writers.Should().Equal(2, 8);
        o.Records.Should().Be(5);
        o.FlushInterval.Should().Be(TimeSpan.FromMilliseconds(20));
        o.LagRate.Should().Be(0);
        o.Json.Should().BeTrue();
    }

    [Theory]
    [InlineData("--record-sizes", "4", "--record-sizes")]
    [InlineData("--writers", "1,0", "--writers")]
    [InlineData("--records", "0", "--records")]
    [InlineData("--flush-interval", "soon", "--flush-interval")]
    [InlineData("--lag-keys", "1001", "--lag-keys")]
    public void A_bad_value_is_one_line_naming_its_flag(string flag, string value, string named)
    {
        var message = Error(flag, value);
        message.Should().Contain(named).And.NotContain("\n");
    }

    [Fact]
    public void Help_describes_every_flag()
    {
        var help = KafkaBenchCommandLine.Parse(["--help"]).Should().BeOfType<BenchParseResult.Print>().Which.Text;
        foreach (var flag in new[] { "--endpoints", "--records", "--record-sizes", "--writers", "--partitions", "--keys", "--flush-interval", "--lag-rate", "--lag-duration", "--lag-keys", "--timeout", "--json" })
            help.Should().Contain(flag);
    }
}
