// Issue 26, finding 10: passwords were hashed with PBKDF2-SHA256 at 100,000 iterations. New
// hashes are Argon2id; a hash of the earlier kind still verifies, and the next successful login
// replaces it through the log without revoking the user's tokens.
using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using KvDb.Core.Auth;
using KvDb.Core.Commands;

namespace KvDb.Tests.Security;

public sealed class PasswordHashTests
{
    /// <summary>A hash as releases before issue 26 made them: version 1, PBKDF2-HMAC-SHA256.</summary>
    internal static byte[] EarlierReleaseHash(string password, int iterations = 100_000)
    {
        var hash = new byte[1 + 4 + 16 + 32];
        hash[0] = 1;
        BinaryPrimitives.WriteInt32LittleEndian(hash.AsSpan(1), iterations);
        RandomNumberGenerator.Fill(hash.AsSpan(5, 16));
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), hash.AsSpan(5, 16), hash.AsSpan(21), iterations, HashAlgorithmName.SHA256);
        return hash;
    }

    [Fact]
    public void New_hashes_are_not_pbkdf2_at_100000_iterations()
    {
        var hash = PasswordHash.Create("correct horse");

        hash[0].Should().NotBe(1, "version 1 is PBKDF2-SHA256, the earlier kind");
        PasswordHash.Verify("correct horse", hash).Should().BeTrue();
        PasswordHash.Verify("correct hors", hash).Should().BeFalse();
    }

    [Fact]
    public void Hashes_of_the_earlier_kind_still_verify()
    {
        var hash = EarlierReleaseHash("correct horse", 1000);

        PasswordHash.Verify("correct horse", hash).Should().BeTrue();
        PasswordHash.Verify("correct hors", hash).Should().BeFalse();
    }
}

[Collection(ClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class PasswordHashUpgradeTests : IAsyncLifetime
{
    private AuthAttackKit kit = null!;

    public async Task InitializeAsync() => kit = await AuthAttackKit.StartAsync();

    public async Task DisposeAsync() => await kit.DisposeAsync();

    // As a member of the earlier release would have written it: straight into the log, through
    // the peer port (open in this cluster), as a follower forwards a write to the leader.
    private async Task PutUserWithEarlierHashAsync(string name, string password)
    {
        var command = new PutUserCommand { Name = name, PasswordHash = PasswordHashTests.EarlierReleaseHash(password), Roles = ["pub"], MustNotExist = true };
        using var content = new ByteArrayContent(LogEntryCodec.Encode([command], DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-kvdb-batch");
        using var response = await kit.Cluster.Client.PostAsync(new Uri(kit.Cluster.PeerUrl(1) + "/internal/v1/propose"), content);
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    private async Task<int> UpgradesInLogAsync()
    {
        var log = await kit.ExpectAsync(HttpStatusCode.OK, "GET", "/v1/log?from=1&limit=10000", auth: AuthAttackKit.Root);
        return log.Split('\n').Count(static line => line.Contains("UpgradePasswordHash", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_login_upgrades_an_earlier_hash_without_revoking_tokens()
    {
        await PutUserWithEarlierHashAsync("old", "oldpw");
        (await UpgradesInLogAsync()).Should().Be(0);

        var token = AuthAttackKit.Bearer(await kit.TokenAsync("old", "oldpw"));

        await Eventually.WaitUntilAsync(async () => (await UpgradesInLogAsync()) == 1, "the login to propose an upgrade of old's hash", TimeSpan.FromSeconds(20));
        await kit.ExpectAsync(HttpStatusCode.NotFound, "GET", "/v1/kv/pub/missing", auth: token);

        // Logging in again works and upgrades nothing more (the hash is of the current kind).
        await kit.TokenAsync("old", "oldpw");
        await kit.ExpectAsync(HttpStatusCode.NotFound, "GET", "/v1/kv/pub/missing", auth: token);
        (await UpgradesInLogAsync()).Should().Be(1);
    }
}
