// Bearer tokens: signed by the cluster (HMAC-SHA256 with the signing key in the replicated auth
// settings), so every member verifies one without a round trip.
// Layout: "kvdb1." base64url(expires-at unix s i64 | user generation i64 | user name UTF-8) "." base64url(mac).
// Invariants:
//  - A token is accepted only with a valid MAC, before its expiry, and while its user still has
//    the generation it was issued for: a password or role change revokes every earlier token.
//  - Verification compares MACs in constant time and never throws on malformed input.
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using KvDb.Core.Auth;

namespace KvDb.Node.Auth;

/// <summary>Issues and verifies bearer tokens.</summary>
public static class AuthTokens
{
    private const string Scheme = "kvdb1.";
    private const int MacSize = 32;
    private const int MaxTokenLength = 4096;

    /// <summary>A token for <paramref name="user"/> that expires at <paramref name="expiresAt"/>.</summary>
    public static string Issue(AuthUser user, byte[] signingKey, DateTimeOffset expiresAt)
    {
        var name = Encoding.UTF8.GetBytes(user.Name);
        var payload = new byte[16 + name.Length];
        BinaryPrimitives.WriteInt64LittleEndian(payload, expiresAt.ToUnixTimeSeconds());
        BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(8), user.Generation);
        name.CopyTo(payload.AsSpan(16));
        var mac = HMACSHA256.HashData(signingKey, payload);
        return Scheme + Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(mac);
    }

    /// <summary>The user a valid, unexpired, unrevoked token names; null with a reason otherwise.</summary>
    public static (AuthUser? User, string? Failure) Verify(string token, AuthState state, DateTimeOffset now)
    {
        if (token.Length > MaxTokenLength || !token.StartsWith(Scheme, StringComparison.Ordinal))
            return (null, "The bearer token is not a kvdb token.");
        var parts = token.AsSpan(Scheme.Length);
        var dot = parts.IndexOf('.');
        if (dot < 0)
            return (null, "The bearer token is malformed.");

        byte[] payload, mac;
        try
        {
            payload = Base64Url.DecodeFromChars(parts[..dot]);
            mac = Base64Url.DecodeFromChars(parts[(dot + 1)..]);
        }
        catch (FormatException)
        {
            return (null, "The bearer token is malformed.");
        }

        if (payload.Length < 16 || mac.Length != MacSize || state.Settings.SigningKey is not { Length: > 0 } key)
            return (null, "The bearer token is malformed.");
        if (!CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(key, payload), mac))
            return (null, "The bearer token's signature is not valid (forged, or from another cluster).");

        var expiresAt = BinaryPrimitives.ReadInt64LittleEndian(payload);
        if (now.ToUnixTimeSeconds() >= expiresAt)
            return (null, "The bearer token has expired; get a new one from POST /v1/auth/token.");

        var generation = BinaryPrimitives.ReadInt64LittleEndian(payload.AsSpan(8));
        string name;
        try
        {
            name = new UTF8Encoding(false, true).GetString(payload.AsSpan(16));
        }
        catch (ArgumentException)
        {
            return (null, "The bearer token is malformed.");
        }

        if (!state.Users.TryGetValue(name, out var user) || user.Generation != generation)
            return (null, "The bearer token was revoked (its user was deleted or changed password or roles); get a new one.");
        return (user, null);
    }
}
