// Issue 26, finding 6: a real user with a wrong password cost a password hash (~25 ms), an
// unknown user none (~2 ms), so response times told which names exist. Without timing anything,
// these count the hash verifications each kind of failed login costs: they must be equal, and
// an unknown user's must run against a hash of the current parameters.
using System.Net;
using System.Text;
using KvDb.Core.Auth;
using KvDb.Core.Commands;
using KvDb.Core.State;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvDb.Tests.Security;

public sealed class UserNameTimingTests : IDisposable
{
    private readonly InMemoryKeyValueStore store = new();
    private readonly List<byte[]> verifiedAgainst = [];
    private readonly Authenticator authenticator;
    private long index;

    public UserNameTimingTests()
    {
        authenticator = new Authenticator(NullLogger.Instance, TimeProvider.System, (password, hash) =>
        {
            verifiedAgainst.Add(hash);
            return PasswordHash.Verify(password, hash);
        });
        var executor = new CommandExecutor(store);
        var results = new CommandResult[1];
        foreach (var command in new KvCommand[]
        {
            new PutUserCommand { Name = "root", PasswordHash = PasswordHash.Create("rootpw"), MustNotExist = true },
            new PutUserCommand { Name = "ann", PasswordHash = PasswordHash.Create("annpw"), MustNotExist = true },
            new PutUserCommand { Name = "certonly", PasswordHash = [], MustNotExist = true },
        })
        {
            executor.Execute(++index, 1, index * 1000, [command], results);
        }
    }

    public void Dispose() => store.Dispose();

    private AuthState State()
    {
        using var view = store.OpenView();
        return AuthState.Read(view);
    }

    private int Checks(string name, string password, string address)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(address);
        var before = verifiedAgainst.Count;
        authenticator.CheckPassword(context, name, password, State()).User.Should().BeNull();
        return verifiedAgainst.Count - before;
    }

    [Fact]
    public void An_unknown_user_costs_the_same_password_check_as_a_wrong_password()
    {
        var known = Checks("ann", "wrong", "192.0.2.1");
        var unknown = Checks("ghost", "wrong", "192.0.2.2");
        var withoutPassword = Checks("certonly", "wrong", "192.0.2.3");

        known.Should().Be(1);
        unknown.Should().Be(known, "an unknown user must cost what a known one costs");
        withoutPassword.Should().Be(known, "a user without a password must cost what one with a password costs");
    }

    [Fact]
    public void An_unknown_user_is_checked_against_a_hash_of_the_current_parameters()
    {
        Checks("ghost", "wrong", "192.0.2.4");

        var dummy = verifiedAgainst.Should().ContainSingle().Subject;
        var real = State().Users["ann"].PasswordHash;
        dummy.Length.Should().Be(real.Length);
        dummy.AsSpan(0, dummy.Length - 48).ToArray().Should().Equal(real.AsSpan(0, real.Length - 48).ToArray(), "the same algorithm and parameters (the salt and hash differ)");
        Encoding.UTF8.GetString(dummy).Should().NotContain("ghost");
    }
}
