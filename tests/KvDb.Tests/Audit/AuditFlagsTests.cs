// The audit log's flags: off by default, sizes with suffixes, bad values refused with a
// one-line message naming the flag.
using KvDb.Node.Audit;

namespace KvDb.Tests.Audit;

public sealed class AuditFlagsTests
{
    private static CommandLineOutcome Parse(params string[] args) => CommandLine.Parse(args, static _ => null);

    private static AuditOptions Audit(params string[] args) => Parse(args).Should().BeOfType<CommandLineOutcome.Run>().Which.Options.Audit;

    [Fact]
    public void The_audit_log_is_off_unless_asked_for()
    {
        var audit = Audit();
        audit.Enabled.Should().BeFalse();
        audit.MaxFileBytes.Should().Be(100L << 20);
        audit.MaxFiles.Should().Be(5);
    }

    [Fact]
    public void The_flags_set_the_file_its_size_and_how_many_are_kept()
    {
        var audit = Audit("--audit-log", "/var/log/kvdb/audit.log", "--audit-log-max-size", "64KiB", "--audit-log-max-files", "3");
        audit.FilePath.Should().Be("/var/log/kvdb/audit.log");
        audit.MaxFileBytes.Should().Be(64 << 10);
        audit.MaxFiles.Should().Be(3);
    }

    [Theory]
    [InlineData("--audit-log-max-size", "12")]
    [InlineData("--audit-log-max-size", "lots")]
    [InlineData("--audit-log-max-files", "0")]
    [InlineData("--audit-log", "/tmp/")]
    public void Bad_values_are_refused_naming_the_flag(string flag, string value)
        => Parse(flag, value).Should().BeOfType<CommandLineOutcome.Error>().Which.Message.Should().Contain(flag);
}
