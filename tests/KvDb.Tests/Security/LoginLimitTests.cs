// Issue 26, findings 4 and 5, as the attack ran them against a member:
//  (4) bursts of parallel logins with a wrong password must get no more password checks than
//      serial ones (5 at once, then 1 a second for one user from one address);
//  (5) a flood of wrong passwords for a user from one address must not stop the right password
//      from another address.
// A 401 is one password checked; a 429 is a login refused without checking.
using System.Diagnostics;
using System.Net;

namespace KvDb.Tests.Security;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class LoginLimitTests : IAsyncLifetime
{
    private AuthAttackKit kit = null!;

    public async Task InitializeAsync() => kit = await AuthAttackKit.StartAsync();

    public async Task DisposeAsync() => await kit.DisposeAsync();

    [Fact]
    public async Task Parallel_bursts_of_wrong_passwords_get_no_more_checks_than_serial_ones()
    {
        const int Bursts = 10;
        const int Parallel = 30;
        var checkedPasswords = 0;
        var refused = 0;
        var clock = Stopwatch.StartNew();
        for (var burst = 0; burst < Bursts; burst++)
        {
            var started = clock.Elapsed;
            var answers = await Task.WhenAll(Enumerable.Range(0, Parallel).Select(_ => kit.LoginAsync("mal", "not-the-password")));
            foreach (var (status, _) in answers)
            {
                if (status == HttpStatusCode.Unauthorized)
                    checkedPasswords++;
                else if (status == HttpStatusCode.TooManyRequests)
                    refused++;
                else
                    Assert.Fail($"A wrong password answered {status}.");
            }

            // The attack sent one burst a second; pace it so (not to wait for anything).
            var rest = TimeSpan.FromSeconds(1) - (clock.Elapsed - started);
            if (rest > TimeSpan.Zero)
                await Task.Delay(rest);
        }

        // Serially, one address gets 5 checks at once, then 1 a second; a second's slack for the
        // refill under way when the test started counting.
        var serialFigure = 5 + (int)Math.Ceiling(clock.Elapsed.TotalSeconds) + 1;
        checkedPasswords.Should().BeLessThanOrEqualTo(serialFigure,
            $"{Bursts} bursts of {Parallel} parallel logins in {clock.Elapsed.TotalSeconds:F1} s got {checkedPasswords} password checks ({refused} refused with 429)");
        refused.Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task A_flood_of_wrong_passwords_from_one_address_does_not_lock_out_another_address()
    {
        using var attacker = AuthAttackKit.ClientFrom("127.0.0.2");
        using var victim = AuthAttackKit.ClientFrom("127.0.0.3");
        using var stop = new CancellationTokenSource();
        var attackerAnswers = new List<HttpStatusCode>();

        // More than the ~5 wrong tries a second of the attack, until the victim has logged in.
        var flood = Task.Run(async () =>
        {
            var deadline = Stopwatch.StartNew();
            while (!stop.IsCancellationRequested && deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                var (status, _) = await kit.LoginAsync("ann", "guess", attacker);
                lock (attackerAnswers)
                    attackerAnswers.Add(status);
                await Task.Delay(20);
            }
        });

        try
        {
            await Eventually.WaitUntilAsync(() =>
            {
                lock (attackerAnswers)
                    return attackerAnswers.Count(static s => s == HttpStatusCode.TooManyRequests) >= 3;
            }, "the flooding address to be limited (429)", TimeSpan.FromSeconds(30), () => string.Join(",", attackerAnswers));

            // The right password, from another address, while the flood goes on: several logins,
            // each a password check (a token login of a user not yet verified on this member
            // first, then one that was).
            for (var i = 0; i < 3; i++)
            {
                var (status, token) = await kit.LoginAsync("ann", "annpw", victim);
                status.Should().Be(HttpStatusCode.OK, $"login {i + 1} of ann with her password from 127.0.0.3 during a flood from 127.0.0.2");
                token.Should().NotBeNullOrEmpty();
            }
        }
        finally
        {
            await stop.CancelAsync();
            await flood;
        }

        lock (attackerAnswers)
            attackerAnswers.Should().OnlyContain(static s => s == HttpStatusCode.Unauthorized || s == HttpStatusCode.TooManyRequests);
    }
}
