using KvDb.Flags;

namespace KvDb.Tests.Hosting;

public sealed class CommandLineTests
{
    private static CommandLineOutcome Parse(string[] args, Dictionary<string, string>? env = null)
        => CommandLine.Parse(args, name => env is not null && env.TryGetValue(name, out var v) ? v : null);

    private static NodeOptions Options(string[] args, Dictionary<string, string>? env = null)
        => Parse(args, env).Should().BeOfType<CommandLineOutcome.Run>().Which.Options;

    [Fact]
    public void No_arguments_run_one_member_on_the_documented_defaults()
    {
        var options = Options([]);
        options.Id.Should().Be(1);
        options.PeerEndPoint.ToString().Should().Be("127.0.0.1:12379");
        options.Port.Should().Be(12380);
        options.DataDir.Should().Be(Path.Combine("data", "node-1"));
        options.Join.Should().BeFalse();
        options.InMemory.Should().BeFalse();
        options.MaxValueBytes.Should().Be(1 << 20);
    }

    [Fact]
    public void The_kv_db_flags_select_the_member_and_its_ports()
    {
        var options = Options(["--id", "2", "--cluster", "http://127.0.0.1:12379,http://127.0.0.1:22379,http://127.0.0.1:32379", "--port", "22380", "--join"]);
        options.Id.Should().Be(2);
        options.PeerEndPoint.ToString().Should().Be("127.0.0.1:22379");
        options.Port.Should().Be(22380);
        options.Join.Should().BeTrue();
        options.DataDir.Should().Be(Path.Combine("data", "node-2"));
        options.AdvertisedHttpUrl.Should().Be("http://127.0.0.1:22380");
    }

    [Fact]
    public void Peer_listen_and_source_address_put_the_peer_port_behind_its_advertised_url()
    {
        var options = Options(["--id", "2", "--cluster", "http://127.0.0.1:12379,http://127.0.0.1:22379", "--port", "22380", "--peer-listen", "127.0.0.1:22999", "--peer-source-address", "127.0.0.12"]);
        options.PeerEndPoint.ToString().Should().Be("127.0.0.1:22999", "the peer port listens where --peer-listen says");
        options.PeerUrl.Should().Be("http://127.0.0.1:22379", "other members still reach it at its URL in --cluster");
        options.PeerSourceAddress!.ToString().Should().Be("127.0.0.12");
        Options([]).PeerSourceAddress.Should().BeNull("by default the OS chooses where peer connections come from");
        Parse(["--peer-listen", "127.0.0.1"]).Should().BeOfType<CommandLineOutcome.Error>().Which.Message.Should().Contain("--peer-listen");
        Parse(["--peer-source-address", "nowhere"]).Should().BeOfType<CommandLineOutcome.Error>().Which.Message.Should().Contain("--peer-source-address");
        Parse(["--peer-listen", "127.0.0.1:12380"]).Should().BeOfType<CommandLineOutcome.Error>().Which.Message.Should().Contain("--port 12380");
    }

    [Fact]
    public void Environment_variables_fill_in_and_flags_win()
    {
        var env = new Dictionary<string, string> { ["KVDB_PORT"] = "9000", ["KVDB_IN_MEMORY"] = "true", ["KVDB_REQUEST_TIMEOUT"] = "250ms" };
        var fromEnv = Options([], env);
        fromEnv.Port.Should().Be(9000);
        fromEnv.InMemory.Should().BeTrue();
        fromEnv.RequestTimeout.Should().Be(TimeSpan.FromMilliseconds(250));

        Options(["--port=9100"], env).Port.Should().Be(9100);
    }

    [Fact]
    public void The_free_disk_reserve_defaults_to_256MiB_takes_sizes_and_0_turns_it_off()
    {
        Options([]).MinFreeDiskBytes.Should().Be(256L << 20);
        Options(["--min-free-disk", "1GiB"]).MinFreeDiskBytes.Should().Be(1L << 30);
        Options([], new() { ["KVDB_MIN_FREE_DISK"] = "64MiB" }).MinFreeDiskBytes.Should().Be(64L << 20);
        Options(["--min-free-disk", "0"]).MinFreeDiskBytes.Should().Be(0);
        Parse(["--min-free-disk", "lots"]).Should().BeOfType<CommandLineOutcome.Error>().Which.Message.Should().Contain("--min-free-disk");
        CommandLine.Help().Should().Contain("--min-free-disk").And.Contain("KVDB_MIN_FREE_DISK");
    }

    [Theory]
    [InlineData("--id", "0")]
    [InlineData("--id", "2")]
    [InlineData("--cluster", "127.0.0.1:12379")]
    [InlineData("--cluster", "http://127.0.0.1:12379,http://127.0.0.1:12379")]
    [InlineData("--port", "0")]
    [InlineData("--port", "12379")]
    [InlineData("--max-value-bytes", "-1")]
    [InlineData("--log-level", "chatty")]
    [InlineData("--request-timeout", "-5s")]
    public void Bad_values_are_one_line_errors(string flag, string value)
    {
        var error = Parse([flag, value]).Should().BeOfType<CommandLineOutcome.Error>().Which.Message;
        error.Should().NotContain("\n").And.NotBeNullOrWhiteSpace();
    }

    [Fact]
    public void Only_this_members_own_host_name_is_resolved()
    {
        // Member 2's host does not resolve (yet): member 1 still starts, and reaches it by URL later.
        var options = Options(["--id", "1", "--cluster", "http://127.0.0.1:12379,http://member-2.invalid:22379"]);
        options.PeerEndPoint.ToString().Should().Be("127.0.0.1:12379");
        options.ClusterUrls.Should().Equal("http://127.0.0.1:12379", "http://member-2.invalid:22379");

        Parse(["--id", "2", "--cluster", "http://127.0.0.1:12379,http://member-2.invalid:22379"])
            .Should().BeOfType<CommandLineOutcome.Error>().Which.Message.Should().Contain("member-2.invalid");
    }

    [Fact]
    public void A_flag_without_its_value_says_which_value_it_needs()
        => Parse(["--port"]).Should().BeOfType<CommandLineOutcome.Error>().Which.Message.Should().Contain("--port PORT");

    [Fact]
    public void A_repeated_flag_takes_its_last_value()
    {
        // Test harnesses and scripts append overrides to a default command line (DiskFaultTests
        // passes its own --data-dir after KvdbCluster's).
        Options(["--data-dir", "a", "--port", "1", "--data-dir", "b", "--port=2"]).Should().Match<NodeOptions>(o => o.DataDir == "b" && o.Port == 2);
    }

    [Theory]
    [InlineData("--join", true)]
    [InlineData("--join=false", false)]
    [InlineData("--join=yes", true)]
    [InlineData("--join=off", false)]
    public void Switches_stand_alone_or_take_true_or_false(string arg, bool on)
        => Options([arg]).Join.Should().Be(on);

    [Fact]
    public void Help_lists_every_flag_with_its_environment_variable()
    {
        var help = Parse(["--help"]).Should().BeOfType<CommandLineOutcome.Print>().Which.Text;
        foreach (var (flag, env) in new[] { ("--id", "KVDB_ID"), ("--cluster", "KVDB_CLUSTER"), ("--port", "KVDB_PORT"), ("--join", "KVDB_JOIN"), ("--data-dir", "KVDB_DATA_DIR"), ("--in-memory", "KVDB_IN_MEMORY") })
            help.Should().Contain(flag).And.Contain(env);
    }

    [Theory]
    [InlineData("200ms", 200)]
    [InlineData("2s", 2000)]
    [InlineData("1.5s", 1500)]
    [InlineData("1m", 60_000)]
    [InlineData("3", 3000)]
    public void Durations_read_as_people_write_them(string text, int milliseconds)
    {
        Duration.TryParse(text, out var value).Should().BeTrue();
        value.Should().Be(TimeSpan.FromMilliseconds(milliseconds));
    }
}
