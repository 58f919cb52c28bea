// Salted, slow password hashes (PBKDF2-HMAC-SHA256), so that a copy of the replicated state
// (a snapshot, a data directory) does not reveal passwords.
// Layout: version u8 (1) | iterations i32 LE | salt (16 bytes) | hash (32 bytes).
// Invariants: a password is never stored, logged or replicated in clear; verification compares
// in constant time; the iteration count travels with each hash, so it can be raised later.
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace KvDb.Core.Auth;

/// <summary>Hashes and verifies passwords.</summary>
public static class PasswordHash
{
    /// <summary>PBKDF2 iterations of new hashes.</summary>
    public const int Iterations = 100_000;

    private const byte Version = 1;
    private const int SaltSize = 16;
    private const int HashSize = 32;
    private const int Size = 1 + sizeof(int) + SaltSize + HashSize;

    /// <summary>A new salted hash of <paramref name="password"/>.</summary>
    public static byte[] Create(string password, int iterations = Iterations)
    {
        var result = new byte[Size];
        result[0] = Version;
        BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(1), iterations);
        var salt = result.AsSpan(1 + sizeof(int), SaltSize);
        RandomNumberGenerator.Fill(salt);
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, result.AsSpan(1 + sizeof(int) + SaltSize), iterations, HashAlgorithmName.SHA256);
        return result;
    }

    /// <summary>Whether <paramref name="password"/> matches <paramref name="hash"/>; false for an empty or malformed hash.</summary>
    public static bool Verify(string password, ReadOnlySpan<byte> hash)
    {
        if (hash.Length != Size || hash[0] != Version)
            return false;
        var iterations = BinaryPrimitives.ReadInt32LittleEndian(hash[1..]);
        if (iterations is < 1 or > 10_000_000)
            return false;

        Span<byte> computed = stackalloc byte[HashSize];
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), hash.Slice(1 + sizeof(int), SaltSize), computed, iterations, HashAlgorithmName.SHA256);
        return CryptographicOperations.FixedTimeEquals(computed, hash[(1 + sizeof(int) + SaltSize)..]);
    }
}
