// ReadLease with explicit timestamps: how long a confirmed round vouches for, and for which term.
using System.Diagnostics;

namespace KvDb.Tests.Reads;

public sealed class ReadLeaseTests
{
    private static readonly long Second = Stopwatch.Frequency;

    [Fact]
    public void A_round_vouches_for_80_percent_of_the_election_timeout_from_its_start()
    {
        ReadLease.DurationFor(1000).Should().Be(TimeSpan.FromMilliseconds(800));
        var lease = new ReadLease(TimeSpan.FromSeconds(1));

        lease.Renew(term: 3, roundStart: 10 * Second);
        lease.IsHeld(3, 10 * Second).Should().BeTrue();
        lease.IsHeld(3, (11 * Second) - 1).Should().BeTrue();
        lease.IsHeld(3, 11 * Second).Should().BeFalse("the lease ends a lease's length after the round began");
    }

    [Fact]
    public void A_lease_is_held_only_in_its_own_term_and_an_older_round_never_shortens_it()
    {
        var lease = new ReadLease(TimeSpan.FromSeconds(1));
        lease.Renew(term: 3, roundStart: 10 * Second);

        lease.IsHeld(4, 10 * Second).Should().BeFalse();
        lease.IsHeld(2, 10 * Second).Should().BeFalse();

        lease.Renew(term: 3, roundStart: 9 * Second);
        lease.IsHeld(3, (11 * Second) - 1).Should().BeTrue("a round that began earlier does not take back a later one");

        lease.Renew(term: 2, roundStart: 20 * Second);
        lease.IsHeld(2, 20 * Second).Should().BeFalse("a round of an older term renews nothing");
    }

    [Fact]
    public void With_the_lease_off_nothing_is_ever_held()
    {
        var lease = new ReadLease(TimeSpan.Zero);
        lease.Renew(term: 1, roundStart: 0);
        lease.IsHeld(1, 0).Should().BeFalse();
    }
}
