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
using KvDb.Core.State;

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

// The upgrade as the authenticator proposes it and every member applies it, without a cluster.
public sealed class PasswordHashUpgradeUnitTests : IDisposable
{
    private readonly InMemoryKeyValueStore store = new();
    private readonly CommandExecutor executor;
    private readonly List<KvCommand> proposed = [];
    private long index;

    public PasswordHashUpgradeUnitTests() => executor = new CommandExecutor(store);

    public void Dispose() => store.Dispose();

    private CommandOutcome Apply(KvCommand command)
    {
        var results = new CommandResult[1];
        executor.Execute(++index, 1, index * 1000, [command], results);
        return results[0].Outcome;
    }

    private AuthState State()
    {
        using var view = store.OpenView();
        return AuthState.Read(view);
    }

    private Authenticator NewAuthenticator() => new(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, TimeProvider.System,
        static (password, hash) => PasswordHash.Verify(password, hash),
        command =>
        {
            lock (proposed)
                proposed.Add(command);
            return Task.CompletedTask;
        });

    private static Microsoft.AspNetCore.Http.DefaultHttpContext Context()
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Loopback;
        return context;
    }

    [Fact]
    public async Task A_login_proposes_a_stronger_hash_that_keeps_the_generation_and_the_tokens()
    {
        var earlier = PasswordHashTests.EarlierReleaseHash("pw", 1000);
        Apply(new PutUserCommand { Name = "ann", PasswordHash = earlier, MustNotExist = true });
        var before = State().Users["ann"];
        var key = new byte[32];
        Apply(new RotateSigningKeyCommand { SigningKey = key });
        var token = AuthTokens.Issue(before, key, DateTimeOffset.UtcNow.AddMinutes(5));

        NewAuthenticator().CheckPassword(Context(), "ann", "pw", State()).User.Should().NotBeNull();
        await Eventually.WaitUntilAsync(() => { lock (proposed) return proposed.Count == 1; }, "the login to propose an upgrade");

        var upgrade = proposed.Single().Should().BeOfType<UpgradePasswordHashCommand>().Subject;
        upgrade.Name.Should().Be("ann");
        upgrade.Verified.Should().Equal(earlier);
        PasswordHash.NeedsUpgrade(upgrade.PasswordHash).Should().BeFalse();
        Apply(upgrade).Should().Be(CommandOutcome.Applied);

        var after = State().Users["ann"];
        after.Generation.Should().Be(before.Generation, "the password did not change, so its tokens stay valid");
        after.PasswordHash.Should().Equal(upgrade.PasswordHash);
        PasswordHash.Verify("pw", after.PasswordHash).Should().BeTrue();
        AuthTokens.Verify(token, State(), DateTimeOffset.UtcNow).User.Should().NotBeNull();

        // A new authenticator (no cache) verifies the new hash and proposes nothing more.
        // (An upgrade is proposed, if at all, before CheckPassword returns: nothing to wait for.)
        NewAuthenticator().CheckPassword(Context(), "ann", "pw", State()).User.Should().NotBeNull();
        lock (proposed)
            proposed.Should().ContainSingle();
    }

    [Fact]
    public void An_upgrade_over_a_hash_that_changed_since_is_not_applied()
    {
        var earlier = PasswordHashTests.EarlierReleaseHash("old", 1000);
        Apply(new PutUserCommand { Name = "ann", PasswordHash = earlier, MustNotExist = true });
        var changed = PasswordHash.CreatePbkdf2("new", 1);
        Apply(new PutUserCommand { Name = "ann", PasswordHash = changed });

        Apply(new UpgradePasswordHashCommand { Name = "ann", Verified = earlier, PasswordHash = PasswordHash.Create("old") }).Should().Be(CommandOutcome.PreconditionFailed);
        State().Users["ann"].PasswordHash.Should().Equal(changed);
        Apply(new UpgradePasswordHashCommand { Name = "ghost", Verified = earlier, PasswordHash = changed }).Should().Be(CommandOutcome.NotFound);
    }
}
