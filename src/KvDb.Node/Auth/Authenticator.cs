// Who is calling: from an Authorization header (Basic user:password, or a Bearer token from
// POST /v1/auth/token), or else from the client certificate's common name (--client-cert-auth).
// Invariants:
//  - A password is checked against its PBKDF2 hash once; later requests with the same password
//    compare an HMAC of it under a per-process key (a password change or role change voids it,
//    through the user's generation). No password is kept or logged in clear.
//  - Failed logins are limited per user name and per client address (token buckets); past the
//    limit a login is refused with 429 without checking the password.
//  - A wrong user and a wrong password get the same answer.
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using KvDb.Core.Auth;
using KvDb.Node.Security;

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
public sealed partial class Authenticator(ILogger<Authenticator> logger, TimeProvider clock)
{
    private readonly byte[] cacheKey = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, (long Generation, byte[] Digest)> verified = new(StringComparer.Ordinal);
    private readonly PartitionedRateLimiter<string> failures = PartitionedRateLimiter.Create<string, string>(key =>
        RateLimitPartition.GetTokenBucketLimiter(key, static _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = 5,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

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
        var address = context.Connection.RemoteIpAddress ?? IPAddress.None;
        var userKey = "user:" + name;
        var addressKey = "address:" + address;
        state.Users.TryGetValue(name, out var user);
        if (user is not null && IsCached(user, password))
            return new(user, 0, null);

        if (failures.GetStatistics(userKey)?.CurrentAvailablePermits is 0 || failures.GetStatistics(addressKey)?.CurrentAvailablePermits is 0)
        {
            context.Response.Headers.RetryAfter = "1";
            return Authentication.Failed("Too many failed logins for this user or from this address; wait a moment.", StatusCodes.Status429TooManyRequests);
        }

        if (user is not null && user.PasswordHash.Length > 0 && PasswordHash.Verify(password, user.PasswordHash))
        {
            verified[user.Name] = (user.Generation, Digest(password));
            return new(user, 0, null);
        }

        using (failures.AttemptAcquire(userKey))
        using (failures.AttemptAcquire(addressKey))
        {
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Failed login for user '{User}' from {Address}")]
    private partial void LogFailedLogin(string user, string address);
}
