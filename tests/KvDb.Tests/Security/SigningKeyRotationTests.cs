// Issue 26, finding 8: the token signing key never changed, not even across auth/disable and
// auth/enable, so a token issued before still worked after, and a copy of a data directory
// could mint tokens forever. POST /v1/auth/rotate-key (root) replaces the key and voids every
// token; enabling auth always starts a new key; Basic credentials are not affected.
using System.Net;

namespace KvDb.Tests.Security;

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class SigningKeyRotationTests : IAsyncLifetime
{
    private AuthAttackKit kit = null!;

    public async Task InitializeAsync() => kit = await AuthAttackKit.StartAsync();

    public async Task DisposeAsync() => await kit.DisposeAsync();

    [Fact]
    public async Task Rotating_the_key_voids_every_token_and_only_root_may()
    {
        var ann = AuthAttackKit.Bearer(await kit.TokenAsync("ann", "annpw"));
        var root = AuthAttackKit.Bearer(await kit.TokenAsync("root", "rootpw"));
        await kit.ExpectAsync(HttpStatusCode.NotFound, "GET", "/v1/kv/pub/missing", auth: ann);

        var refused = await kit.ExpectAsync(HttpStatusCode.Forbidden, "POST", "/v1/auth/rotate-key", auth: ann);
        refused.Should().Contain("root");
        await kit.ExpectAsync(HttpStatusCode.NotFound, "GET", "/v1/kv/pub/missing", auth: ann);

        await kit.ExpectAsync(HttpStatusCode.NoContent, "POST", "/v1/auth/rotate-key", auth: AuthAttackKit.Root);

        var stale = await kit.ExpectAsync(HttpStatusCode.Unauthorized, "GET", "/v1/kv/pub/missing", auth: ann);
        stale.Should().Contain("signature");
        await kit.ExpectAsync(HttpStatusCode.Unauthorized, "GET", "/v1/auth/users", auth: root);

        // Passwords still work, and so do tokens issued under the new key.
        await kit.ExpectAsync(HttpStatusCode.NotFound, "GET", "/v1/kv/pub/missing", auth: AuthAttackKit.Basic("ann", "annpw"));
        var fresh = AuthAttackKit.Bearer(await kit.TokenAsync("ann", "annpw"));
        await kit.ExpectAsync(HttpStatusCode.NotFound, "GET", "/v1/kv/pub/missing", auth: fresh);
    }

    [Fact]
    public async Task A_token_from_before_disable_and_enable_no_longer_works()
    {
        var ann = AuthAttackKit.Bearer(await kit.TokenAsync("ann", "annpw"));
        await kit.ExpectAsync(HttpStatusCode.OK, "POST", "/v1/auth/disable", auth: AuthAttackKit.Root);
        await kit.ExpectAsync(HttpStatusCode.OK, "POST", "/v1/auth/enable");

        await kit.ExpectAsync(HttpStatusCode.Unauthorized, "GET", "/v1/kv/pub/missing", auth: ann);
        await kit.ExpectAsync(HttpStatusCode.NotFound, "GET", "/v1/kv/pub/missing", auth: AuthAttackKit.Bearer(await kit.TokenAsync("ann", "annpw")));
    }

    [Fact]
    public async Task Enabling_auth_while_it_is_on_also_starts_a_new_key()
    {
        var ann = AuthAttackKit.Bearer(await kit.TokenAsync("ann", "annpw"));
        await kit.ExpectAsync(HttpStatusCode.OK, "POST", "/v1/auth/enable", auth: AuthAttackKit.Root);

        await kit.ExpectAsync(HttpStatusCode.Unauthorized, "GET", "/v1/kv/pub/missing", auth: ann);
    }
}
