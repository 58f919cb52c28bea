using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvDb.Tests.Observability;

public sealed class ConsoleLineFormatterTests
{
    [Theory]
    [InlineData("KvDb.Node.Raft.RaftNode", "raft")]
    [InlineData("KvDb.Node.Membership.MembershipReconciler", "membership")]
    [InlineData("KvDb.Core.State.KvStateMachine", "state")]
    [InlineData("KvDb.Node.Observability.RequestLogging", "http")]
    [InlineData("KvDb.Node.Observability.StorageMetricsExporter", "storage")]
    [InlineData("KvDb.Node.Observability.ReadinessCheck", "ops")]
    [InlineData("KvDb.Node.Hosting.KvdbProgram", "kvdb")]
    [InlineData("DotNext.Net.Cluster.Consensus.Raft.RaftCluster", "dotnext")]
    [InlineData("Microsoft.AspNetCore.Hosting.Diagnostics", "Microsoft.AspNetCore.Hosting.Diagnostics")]
    public void Categories_are_shortened_to_their_subsystem(string category, string expected)
        => ConsoleLineFormatter.ShortCategory(category).Should().Be(expected);

    [Fact]
    public void A_line_has_time_level_subsystem_and_message_and_no_event_id()
    {
        var writer = new StringWriter();
        var entry = new LogEntry<string>(LogLevel.Information, "KvDb.Node.Raft.RaftNode", new EventId(2061530977, "LogBecameLeader"),
            "Member 1 became the leader in term 2", null, static (state, _) => state);

        new ConsoleLineFormatter().Write(entry, null, writer);

        writer.ToString().Should().MatchRegex(@"^\d\d:\d\d:\d\d\.\d\d\d info raft: Member 1 became the leader in term 2\n$");
    }

    [Fact]
    public void An_exception_follows_its_line_indented()
    {
        var writer = new StringWriter();
        var entry = new LogEntry<string>(LogLevel.Error, "KvDb.Core.State.KvStateMachine", default, "Taking a snapshot failed",
            new IOException("disk full"), static (state, _) => state);

        new ConsoleLineFormatter().Write(entry, null, writer);

        var lines = writer.ToString().Split('\n');
        lines[0].Should().EndWith("fail state: Taking a snapshot failed");
        lines[1].Should().Be("    System.IO.IOException: disk full");
    }
}
