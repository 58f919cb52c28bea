// The failed-login budgets on a clock the test moves: a permit is taken before the check and
// given back by a success; one address cannot empty a user's budget for other addresses; an
// address guessing many names is limited too; IPv6 addresses count by their /64.
using System.Net;

namespace KvDb.Tests.Security;

public sealed class LoginLimiterTests
{
    private readonly ManualClock clock = new();
    private readonly LoginLimiter limiter;

    public LoginLimiterTests() => limiter = new LoginLimiter(clock);

    private int Takes(string name, string address, int tries)
    {
        var taken = 0;
        for (var i = 0; i < tries; i++)
        {
            if (limiter.TryTake(name, IPAddress.Parse(address), out _))
                taken++;
        }

        return taken;
    }

    [Fact]
    public void One_user_from_one_address_gets_its_burst_then_one_a_second()
    {
        Takes("ann", "192.0.2.1", 30).Should().Be(LoginLimiter.AddressUser.Burst);
        clock.Advance(TimeSpan.FromSeconds(3));
        Takes("ann", "192.0.2.1", 30).Should().Be(3);
    }

    [Fact]
    public void A_success_gives_its_permit_back()
    {
        for (var i = 0; i < 100; i++)
        {
            limiter.TryTake("ann", IPAddress.Parse("192.0.2.1"), out var permit).Should().BeTrue($"login {i + 1} was right, like every one before it");
            limiter.GiveBack(permit);
        }
    }

    [Fact]
    public void A_flood_from_one_address_leaves_other_addresses_their_logins()
    {
        for (var second = 0; second < 120; second++)
        {
            Takes("ann", "192.0.2.66", 50);
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        Takes("ann", "192.0.2.66", 1).Should().Be(1, "a second has passed");
        Takes("ann", "192.0.2.66", 1).Should().Be(0);
        Takes("ann", "198.51.100.7", 1).Should().Be(1, "another address still gets the user's password checked");
    }

    [Fact]
    public void Many_addresses_together_reach_the_users_ceiling()
    {
        var taken = 0;
        for (var host = 1; host <= 100; host++)
            taken += Takes("ann", $"10.0.0.{host}", 5);

        taken.Should().Be(LoginLimiter.User.Burst);
    }

    [Fact]
    public void One_address_guessing_many_names_is_limited()
    {
        var taken = 0;
        for (var i = 0; i < 100; i++)
            taken += Takes($"user{i}", "192.0.2.9", 5);

        taken.Should().Be(LoginLimiter.Address.Burst);
    }

    [Fact]
    public void Ipv6_addresses_of_one_64_share_a_budget()
    {
        Takes("ann", "2001:db8:1:2::1", 30).Should().Be(LoginLimiter.AddressUser.Burst);
        Takes("ann", "2001:db8:1:2:ffff::9", 1).Should().Be(0);
        Takes("ann", "2001:db8:1:3::1", 1).Should().Be(1);
    }

    private sealed class ManualClock : TimeProvider
    {
        private long ticks = 1_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => ticks;

        public void Advance(TimeSpan by) => ticks += by.Ticks;
    }
}
