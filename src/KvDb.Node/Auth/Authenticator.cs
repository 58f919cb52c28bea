// Who is calling: from an Authorization header (Basic user:password, or a Bearer token from
// POST /v1/auth/token), or else from the client certificate's common name (--client-cert-auth).
// Invariants:
//  - A password is checked against its hash once; later requests with the same password
//    compare an HMAC of it under a per-process key (a password change or role change voids it,
//    through the user's generation). No password is kept or logged in clear.
//  - A login that is not answered from that cache takes a LoginLimiter permit BEFORE its password
//    is checked (429 without checking when there is none) and gives it back when the password
//    was right, so parallel guesses get no more checks than serial ones.
//  - A wrong user and a wrong password get the same answer at the same cost: an unknown user, or
//    one without a password, is checked against a decoy hash of the current parameters.
//  - A right password whose hash is of an earlier kind gets a stronger hash through the log
//    (UpgradePasswordHashCommand, in the background, at most one at a time per user), which
//    keeps the user's tokens.
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using KvDb.Core.Auth;
using KvDb.Core.Commands;
using KvDb.Node.Security;
using Microsoft.Extensions.Options;

namespace KvDb.Node.Auth;

/// <summary>The result of authenticating a request: a user, or a status and a reason.</summary>
/// <param name="User">The authenticated user, or null.</param>
/// <param name="Status">401 or 429 when <paramref name="User"/> is null.</param>
/// <param name="Failure">Why authentication failed.</param>
public readonly record struct Authentication(AuthUser? User, int Status, string? Failure)
{
    /// <summary>A failure with <paramref name="status"/>.</summary>
    public static Authentication Failed(string failure, int status = StatusCodes.Status401Unauthorized) => new(null, status, failure);
}

/// <summary>Authenticates requests against the replicated users.</summary>
public sealed partial class Authenticator
{
    // A hash of a random password, with the parameters of new hashes.
    private static readonly Lazy<byte[]> Decoy = new(static () => PasswordHash.Create(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))));

    private readonly ILogger logger;
    private readonly TimeProvider clock;
    private readonly Func<string, byte[], bool> verify;
    private readonly Func<KvCommand, Task>? propose;
    private readonly LoginLimiter limiter;
    private readonly byte[] cacheKey = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, (long Generation, byte[] Digest)> verified = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> upgrading = new(StringComparer.Ordinal);

    /// <summary>An authenticator that checks passwords with <see cref="PasswordHash"/> and proposes hash upgrades through <paramref name="writes"/> (unless --rehash-passwords is off).</summary>
    public Authenticator(ILogger<Authenticator> logger, TimeProvider clock, AuthWrites writes, IOptions<AuthOptions> options)
        : this(logger, clock, static (password, hash) => PasswordHash.Verify(password, hash), options.Value.RehashPasswords ? command => writes.ProposeAsync(command, CancellationToken.None) : null)
    {
    }

    // Tests pass their own verify (to count the password checks a login costs) and propose.
    internal Authenticator(ILogger logger, TimeProvider clock, Func<string, byte[], bool> verify, Func<KvCommand, Task>? propose = null)
    {
        this.logger = logger;
        this.clock = clock;
        this.verify = verify;
        this.propose = propose;
        limiter = new LoginLimiter(clock);
    }

    /// <summary>Authenticates <paramref name="context"/>'s request against <paramref name="state"/>.</summary>
    public Authentication Authenticate(HttpContext context, AuthState state)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length > 0)
        {
            if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
                return Basic(context, header.AsSpan(6).Trim(), state);
            if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
                return Bearer(header[7..].Trim(), state);
            return Authentication.Failed("The Authorization header must be 'Basic <base64 of user:password>' or 'Bearer <token>'.");
        }

        if (context.User.Identity is { IsAuthenticated: true, AuthenticationType: PeerAuthentication.ClientCertificateAuthenticationType, Name: { } commonName })
        {
            return state.Users.TryGetValue(commonName, out var user)
                ? new(user, 0, null)
                : Authentication.Failed($"The client certificate's common name '{commonName}' is not a kvdb user.");
        }

        return Authentication.Failed("Credentials are required: Authorization: Basic (user:password) or Bearer (a token from POST /v1/auth/token).");
    }

    /// <summary>Checks a user name and password (for the token endpoint too), with the failed-login limits.</summary>
    public Authentication CheckPassword(HttpContext context, string name, string password, AuthState state)
    {
        // Made off the request at the first login (not at start-up: most members never see a
        // failed one), so that an unknown user does not pay for making it as well.
        if (!Decoy.IsValueCreated)
            _ = Task.Run(static () => Decoy.Value);

        state.Users.TryGetValue(name, out var user);
        if (user is not null && IsCached(user, password))
            return new(user, 0, null);

        var address = context.Connection.RemoteIpAddress ?? IPAddress.None;
        if (!limiter.TryTake(name, address, out var permit))
        {
            context.Response.Headers.RetryAfter = "1";
            return Authentication.Failed("Too many failed logins for this user or from this address; wait a moment.", StatusCodes.Status429TooManyRequests);
        }

        var hash = user?.PasswordHash is { Length: > 0 } stored ? stored : Decoy.Value;
        if (verify(password, hash) && !ReferenceEquals(hash, Decoy.Value))
        {
            limiter.GiveBack(permit);
            verified[user!.Name] = (user.Generation, Digest(password));
            if (propose is not null && PasswordHash.NeedsUpgrade(hash))
                Upgrade(user, password);
            return new(user, 0, null);
        }

        LogFailedLogin(name, address.ToString());
        return Authentication.Failed("Wrong user name or password.");
    }

    private Authentication Basic(HttpContext context, ReadOnlySpan<char> encoded, AuthState state)
    {
        Span<byte> bytes = stackalloc byte[512];
        if (!Convert.TryFromBase64Chars(encoded, bytes, out var length))
            return Authentication.Failed("The Basic credentials are not base64 of user:password (at most 384 bytes).");

        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(bytes[..length]);
        }
        catch (ArgumentException)
        {
            return Authentication.Failed("The Basic credentials are not UTF-8.");
        }

        var colon = text.IndexOf(':');
        if (colon <= 0)
            return Authentication.Failed("The Basic credentials must be user:password.");
        return CheckPassword(context, text[..colon], text[(colon + 1)..], state);
    }

    private Authentication Bearer(string token, AuthState state)
    {
        var (user, failure) = AuthTokens.Verify(token, state, clock.GetUtcNow());
        return user is not null ? new(user, 0, null) : Authentication.Failed(failure!);
    }

    private bool IsCached(AuthUser user, string password)
        => verified.TryGetValue(user.Name, out var entry)
           && entry.Generation == user.Generation
           && CryptographicOperations.FixedTimeEquals(entry.Digest, Digest(password));

    private byte[] Digest(string password) => HMACSHA256.HashData(cacheKey, Encoding.UTF8.GetBytes(password));

    // Hashes the password anew and proposes it, off the request; a failure leaves the old hash,
    // which the next login tries again.
    private void Upgrade(AuthUser user, string password)
    {
        if (!upgrading.TryAdd(user.Name, 0))
            return;
        _ = Task.Run(async () =>
        {
            try
            {
                await propose!(new UpgradePasswordHashCommand { Name = user.Name, Verified = user.PasswordHash, PasswordHash = PasswordHash.Create(password) }).ConfigureAwait(false);
                LogHashUpgraded(user.Name);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogHashUpgradeFailed(user.Name, e.Message);
            }
            finally
            {
                upgrading.TryRemove(user.Name, out _);
            }
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Upgraded the password hash of user '{User}' to Argon2id")]
    private partial void LogHashUpgraded(string user);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not upgrade the password hash of user '{User}' (the next login tries again): {Reason}")]
    private partial void LogHashUpgradeFailed(string user, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Failed login for user '{User}' from {Address}")]
    private partial void LogFailedLogin(string user, string address);
}
