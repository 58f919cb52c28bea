
namespace KvDb.Tests.Observability;

public sealed class ReadinessDecisionTests
{
    private static readonly ReadinessFacts Healthy = new(Removed: false, Started: true, Voter: true, Join: false, HasLeader: true, Applied: 450, Committed: 450);

    [Fact]
    public void A_voter_with_a_leader_that_applied_everything_committed_is_ready()
        => ReadinessCheck.Decide(Healthy).Should().Be(new Readiness(true, "ready", "ready"));

    [Fact]
    public void Applied_ahead_of_the_commit_index_seen_earlier_is_ready()
        => ReadinessCheck.Decide(Healthy with { Applied = 451 }).IsReady.Should().BeTrue();

    [Fact]
    public void Behind_the_commit_index_says_how_far()
        => ReadinessCheck.Decide(Healthy with { Applied = 120 }).Should().Be(new Readiness(false, "applying: 120 of 450 committed entries", "applying"));

    [Fact]
    public void Without_a_leader_it_is_not_ready()
    {
        var readiness = ReadinessCheck.Decide(Healthy with { HasLeader = false, Applied = 0 });
        readiness.IsReady.Should().BeFalse();
        readiness.Code.Should().Be("no-leader");
        readiness.Reason.Should().StartWith("no leader");
    }

    [Fact]
    public void A_member_started_with_join_and_not_added_waits()
        => ReadinessCheck.Decide(Healthy with { Voter = false, Join = true, HasLeader = false }).Reason.Should().Be("waiting to be added to a cluster (--join)");

    [Fact]
    public void The_first_failing_check_is_the_reason()
    {
        ReadinessCheck.Decide(Healthy with { Started = false, Voter = false, HasLeader = false }).Code.Should().Be("starting");
        ReadinessCheck.Decide(Healthy with { Removed = true }).Code.Should().Be("removed");
        ReadinessCheck.Decide(Healthy with { Voter = false, Join = false }).Code.Should().Be("joining");
    }
}
