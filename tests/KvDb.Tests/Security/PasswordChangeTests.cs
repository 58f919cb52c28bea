// Issue 26, finding 9: a password change did not ask for the current password, so a stolen
// 10-minute token became a permanent takeover. Changing one's own password (root's too) needs
// {"currentPassword"}; root changing another user's does not.
using System.Net;

namespace KvDb.Tests.Security;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class PasswordChangeTests : IAsyncLifetime
{
    private AuthAttackKit kit = null!;

    public async Task InitializeAsync() => kit = await AuthAttackKit.StartAsync();

    public async Task DisposeAsync() => await kit.DisposeAsync();

    [Fact]
    public async Task A_stolen_token_cannot_change_the_password()
    {
        var stolen = AuthAttackKit.Bearer(await kit.TokenAsync("ann", "annpw"));

        var (status, body) = await kit.SendAsync("PUT", "/v1/auth/users/ann/password", """{"password": "mine-now"}""", stolen);
        status.Should().Be(HttpStatusCode.BadRequest, body);
        body.Should().Contain("currentPassword");

        (status, body) = await kit.SendAsync("PUT", "/v1/auth/users/ann/password", """{"password": "mine-now", "currentPassword": "a-guess"}""", stolen);
        status.Should().Be(HttpStatusCode.Forbidden, body);
        body.Should().Contain("current password");

        // Nothing changed: her password and her token still work.
        await kit.ExpectAsync(HttpStatusCode.NotFound, "GET", "/v1/kv/pub/missing", auth: AuthAttackKit.Basic("ann", "annpw"));
        await kit.ExpectAsync(HttpStatusCode.NotFound, "GET", "/v1/kv/pub/missing", auth: stolen);
        (await kit.LoginAsync("ann", "mine-now")).Status.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_current_password_changes_it_and_revokes_the_tokens()
    {
        var token = AuthAttackKit.Bearer(await kit.TokenAsync("ann", "annpw"));

        await kit.ExpectAsync(HttpStatusCode.NoContent, "PUT", "/v1/auth/users/ann/password", """{"password": "annpw2", "currentPassword": "annpw"}""", token);

        await kit.ExpectAsync(HttpStatusCode.Unauthorized, "GET", "/v1/kv/pub/missing", auth: token);
        await kit.ExpectAsync(HttpStatusCode.NotFound, "GET", "/v1/kv/pub/missing", auth: AuthAttackKit.Basic("ann", "annpw2"));
    }

    [Fact]
    public async Task Root_changes_another_users_password_without_theirs_but_not_its_own()
    {
        await kit.ExpectAsync(HttpStatusCode.NoContent, "PUT", "/v1/auth/users/ann/password", """{"password": "reset"}""", AuthAttackKit.Root);
        await kit.ExpectAsync(HttpStatusCode.NotFound, "GET", "/v1/kv/pub/missing", auth: AuthAttackKit.Basic("ann", "reset"));

        var rootToken = AuthAttackKit.Bearer(await kit.TokenAsync("root", "rootpw"));
        await kit.ExpectAsync(HttpStatusCode.BadRequest, "PUT", "/v1/auth/users/root/password", """{"password": "taken"}""", rootToken);
        await kit.ExpectAsync(HttpStatusCode.NoContent, "PUT", "/v1/auth/users/root/password", """{"password": "rootpw2", "currentPassword": "rootpw"}""", rootToken);
    }

    [Fact]
    public async Task Another_user_still_may_not_change_a_password()
    {
        var mal = AuthAttackKit.Bearer(await kit.TokenAsync("mal", "malpw"));
        await kit.ExpectAsync(HttpStatusCode.Forbidden, "PUT", "/v1/auth/users/ann/password", """{"password": "x", "currentPassword": "annpw"}""", mal);
    }
}
