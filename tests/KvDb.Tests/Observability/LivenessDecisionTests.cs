// /livez's decision: wedged only when committed entries wait and the applier has not moved for
// StallAfter, judged across probes; the "clock" is passed in, so no test waits.
using KvDb.Node.Observability;

namespace KvDb.Tests.Observability;

public sealed class LivenessDecisionTests
{
    private static readonly TimeSpan StallAfter = LivenessCheck.StallAfter;

    private static TimeSpan At(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void A_member_with_nothing_to_apply_is_live_however_long_it_stays_so()
    {
        var progress = new ApplyProgress();
        progress.Observe(450, 450, At(0)).Should().Be(TimeSpan.Zero);
        progress.Observe(450, 450, At(3600)).Should().Be(TimeSpan.Zero, "a quiet cluster, or one without a leader, applies nothing and is not wedged");
        LivenessCheck.Decide(450, 450, TimeSpan.Zero, StallAfter).Should().Be(new Liveness(true, "live", "live"));
    }

    [Fact]
    public void An_applier_that_moves_between_probes_is_live_even_if_always_behind()
    {
        var progress = new ApplyProgress();
        for (var probe = 0; probe < 50; probe++)
            progress.Observe(100 + probe, 200 + probe, At(probe * 60)).Should().Be(TimeSpan.Zero);
    }

    [Fact]
    public void An_applier_stuck_behind_the_commit_index_is_wedged_once_stall_after_has_passed()
    {
        var progress = new ApplyProgress();
        progress.Observe(120, 450, At(10)).Should().Be(TimeSpan.Zero, "the first probe that sees it behind only starts the clock");
        var early = progress.Observe(120, 460, At(70));
        LivenessCheck.Decide(120, 460, early, StallAfter).IsLive.Should().BeTrue();

        var late = progress.Observe(120, 470, At(10) + StallAfter);
        late.Should().Be(StallAfter);
        var liveness = LivenessCheck.Decide(120, 470, late, StallAfter);
        liveness.IsLive.Should().BeFalse();
        liveness.Code.Should().Be("apply-stalled");
        liveness.Reason.Should().Be("the apply loop is wedged: it has applied nothing for 120 s, stuck at entry 120 of 470 committed");
    }

    [Fact]
    public void A_wedged_applier_that_moves_again_is_live_at_once()
    {
        var progress = new ApplyProgress();
        progress.Observe(120, 450, At(0));
        progress.Observe(120, 450, At(0) + StallAfter).Should().Be(StallAfter);
        progress.Observe(121, 450, At(1) + StallAfter).Should().Be(TimeSpan.Zero);
        progress.Observe(121, 450, At(2) + StallAfter).Should().Be(At(1), "the clock restarts where the applier stopped again");
    }
}
