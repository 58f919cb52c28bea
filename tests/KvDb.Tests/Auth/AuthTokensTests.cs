// Tokens are accepted only when signed by the cluster, unexpired and issued for the user's
// current generation; anything else is refused with a reason, never an exception.
using System.Text;
using KvDb.Core.Auth;
using KvDb.Core.Commands;
using KvDb.Core.State;

namespace KvDb.Tests.Auth;

public sealed class AuthTokensTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    private static AuthState StateWith(params (string Name, long Generation)[] users)
    {
        var store = new InMemoryKeyValueStore();
        var executor = new CommandExecutor(store);
        var results = new CommandResult[1];
        var index = 0L;
        foreach (var (name, generation) in users)
        {
            index = generation;
            executor.Execute(index, 1, 0, [new PutUserCommand { Name = name, PasswordHash = [] }], results);
        }

        executor.Execute(++index, 1, 0, [new PutUserCommand { Name = "root", PasswordHash = [] }], results);
        executor.Execute(++index, 1, 0, [new SetAuthCommand { Enabled = true, SigningKey = Enumerable.Repeat((byte)7, 32).ToArray() }], results);
        using var view = store.OpenView();
        return AuthState.Read(view);
    }

    [Fact]
    public void A_fresh_token_names_its_user()
    {
        var state = StateWith(("ann", 5));
        var token = AuthTokens.Issue(state.Users["ann"], state.Settings.SigningKey, Now.AddMinutes(5));
        AuthTokens.Verify(token, state, Now).User!.Name.Should().Be("ann");
    }

    [Fact]
    public void Expired_forged_revoked_and_malformed_tokens_are_refused_with_a_reason()
    {
        var state = StateWith(("ann", 5));
        var token = AuthTokens.Issue(state.Users["ann"], state.Settings.SigningKey, Now.AddMinutes(5));

        AuthTokens.Verify(token, state, Now.AddMinutes(6)).Failure.Should().Contain("expired");

        var forged = AuthTokens.Issue(state.Users["ann"], new byte[32], Now.AddMinutes(5));
        AuthTokens.Verify(forged, state, Now).Failure.Should().Contain("signature");

        var later = StateWith(("ann", 9));
        AuthTokens.Verify(AuthTokens.Issue(state.Users["ann"], later.Settings.SigningKey, Now.AddMinutes(5)), later, Now).Failure.Should().Contain("revoked");

        foreach (var garbage in new[] { "", "kvdb1.", "kvdb1.!!!.???", "kvdb1.AAAA.AAAA", "other", new string('x', 10_000), token[..^3] })
            AuthTokens.Verify(garbage, state, Now).User.Should().BeNull(garbage);
    }

    [Fact]
    public void Passwords_verify_only_against_their_own_hash()
    {
        var hash = PasswordHash.Create("correct horse");
        PasswordHash.Verify("correct horse", hash).Should().BeTrue();
        PasswordHash.Verify("correct hors", hash).Should().BeFalse();
        PasswordHash.Verify("correct horse", []).Should().BeFalse();
        PasswordHash.Verify("correct horse", Encoding.UTF8.GetBytes("not a hash")).Should().BeFalse();
        PasswordHash.CreatePbkdf2("correct horse", 1).Should().NotEqual(PasswordHash.CreatePbkdf2("correct horse", 1), "each hash has its own salt");
    }
}
