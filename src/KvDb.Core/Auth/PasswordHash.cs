// Salted, slow password hashes, so that a copy of the replicated state (a snapshot, a data
// directory) does not reveal passwords. New hashes are Argon2id with OWASP's parameters
// (19 MiB, 2 passes, 1 lane); hashes of the earlier kind (PBKDF2-HMAC-SHA256) still verify, and
// NeedsUpgrade says which to replace at the user's next login.
// Layouts (the first byte tells them apart):
//   1: version u8 | iterations i32 LE | salt (16 bytes) | hash (32 bytes)                    PBKDF2-HMAC-SHA256
//   2: version u8 | memory KiB i32 LE | passes i32 LE | lanes u8 | salt (16) | hash (32)    Argon2id
// Invariants: a password is never stored, logged or replicated in clear; verification compares
// in constant time; the parameters travel with each hash, so they can be raised later; a hash
// whose parameters are out of bounds never verifies (and costs nothing); at most one Argon2id
// derivation per core runs at once.
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Konscious.Security.Cryptography;

namespace KvDb.Core.Auth;

/// <summary>Hashes and verifies passwords.</summary>
public static class PasswordHash
{
    /// <summary>Argon2id memory of new hashes, in KiB (OWASP: 19 MiB with 2 passes).</summary>
    public const int MemoryKiB = 19 * 1024;

    /// <summary>Argon2id passes of new hashes.</summary>
    public const int Passes = 2;

    /// <summary>Argon2id lanes of new hashes.</summary>
    public const int Lanes = 1;

    private const byte Pbkdf2Version = 1;
    private const byte Argon2idVersion = 2;
    private const int SaltSize = 16;
    private const int HashSize = 32;
    private const int Pbkdf2Size = 1 + sizeof(int) + SaltSize + HashSize;
    private const int Argon2idParameters = 1 + sizeof(int) + sizeof(int) + 1;
    private const int Argon2idSize = Argon2idParameters + SaltSize + HashSize;

    // Each derivation holds its memory (19 MiB for a current hash) until it ends: at most one per
    // core runs at once, so a burst of logins costs time, never a member's memory.
    private static readonly SemaphoreSlim Derivations = new(Environment.ProcessorCount);

    /// <summary>A new salted Argon2id hash of <paramref name="password"/> with the current parameters.</summary>
    public static byte[] Create(string password)
    {
        var result = new byte[Argon2idSize];
        result[0] = Argon2idVersion;
        BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(1), MemoryKiB);
        BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(1 + sizeof(int)), Passes);
        result[Argon2idParameters - 1] = Lanes;
        var salt = result.AsSpan(Argon2idParameters, SaltSize);
        RandomNumberGenerator.Fill(salt);
        DeriveArgon2id(password, salt.ToArray(), MemoryKiB, Passes, Lanes).CopyTo(result.AsSpan(Argon2idParameters + SaltSize));
        return result;
    }

    /// <summary>A hash of the earlier kind (PBKDF2-HMAC-SHA256, version 1): for tests that want a cheap one, or one as earlier releases made it.</summary>
    internal static byte[] CreatePbkdf2(string password, int iterations)
    {
        var result = new byte[Pbkdf2Size];
        result[0] = Pbkdf2Version;
        BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(1), iterations);
        var salt = result.AsSpan(1 + sizeof(int), SaltSize);
        RandomNumberGenerator.Fill(salt);
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, result.AsSpan(1 + sizeof(int) + SaltSize), iterations, HashAlgorithmName.SHA256);
        return result;
    }

    /// <summary>Whether <paramref name="password"/> matches <paramref name="hash"/>; false for an empty or malformed hash.</summary>
    public static bool Verify(string password, ReadOnlySpan<byte> hash)
    {
        if (hash.Length == Pbkdf2Size && hash[0] == Pbkdf2Version)
        {
            var iterations = BinaryPrimitives.ReadInt32LittleEndian(hash[1..]);
            if (iterations is < 1 or > 10_000_000)
                return false;

            Span<byte> computed = stackalloc byte[HashSize];
            Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), hash.Slice(1 + sizeof(int), SaltSize), computed, iterations, HashAlgorithmName.SHA256);
            return CryptographicOperations.FixedTimeEquals(computed, hash[(1 + sizeof(int) + SaltSize)..]);
        }

        if (hash.Length == Argon2idSize && hash[0] == Argon2idVersion && Argon2idParametersOf(hash) is var (memory, passes, lanes))
        {
            var computed = DeriveArgon2id(password, hash.Slice(Argon2idParameters, SaltSize).ToArray(), memory, passes, lanes);
            return CryptographicOperations.FixedTimeEquals(computed, hash[(Argon2idParameters + SaltSize)..]);
        }

        return false;
    }

    /// <summary>
    /// Whether <paramref name="hash"/> is weaker than what <see cref="Create"/> makes now (of the
    /// earlier kind, or Argon2id with less memory or fewer passes): replace it once the password is known.
    /// </summary>
    public static bool NeedsUpgrade(ReadOnlySpan<byte> hash)
        => hash.Length != Argon2idSize || hash[0] != Argon2idVersion
           || Argon2idParametersOf(hash) is not var (memory, passes, _) || memory < MemoryKiB || passes < Passes;

    // The parameters of a version-2 hash, or null when they are out of bounds (at most 1 GiB,
    // 64 passes and 16 lanes: a hash is replicated data, not a reason to exhaust a member).
    private static (int Memory, int Passes, int Lanes)? Argon2idParametersOf(ReadOnlySpan<byte> hash)
    {
        var memory = BinaryPrimitives.ReadInt32LittleEndian(hash[1..]);
        var passes = BinaryPrimitives.ReadInt32LittleEndian(hash[(1 + sizeof(int))..]);
        int lanes = hash[Argon2idParameters - 1];
        return memory is >= 8 and <= 1024 * 1024 && passes is >= 1 and <= 64 && lanes is >= 1 and <= 16 && memory >= 8 * lanes
            ? (memory, passes, lanes)
            : null;
    }

    private static byte[] DeriveArgon2id(string password, byte[] salt, int memoryKiB, int passes, int lanes)
    {
        Derivations.Wait();
        try
        {
            return Derive(password, salt, memoryKiB, passes, lanes);
        }
        finally
        {
            Derivations.Release();
        }
    }

    private static byte[] Derive(string password, byte[] salt, int memoryKiB, int passes, int lanes)
    {
        using var argon2 = new Argon2id(Encoding.UTF8.GetBytes(password))
        {
            Salt = salt,
            MemorySize = memoryKiB,
            Iterations = passes,
            DegreeOfParallelism = lanes,
        };
        return argon2.GetBytes(HashSize);
    }
}
