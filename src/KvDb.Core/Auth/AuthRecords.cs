// The replicated auth state as stored: users, roles and the auth settings (namespace 'a' of
// the store, see AuthKeys). Fields are addressed by integer keys so that later fields can be
// added without breaking stored records.
using System.Diagnostics.CodeAnalysis;
using MessagePack;

namespace KvDb.Core.Auth;

/// <summary>What a permission allows on its keys.</summary>
public enum Access : byte
{
    /// <summary>Reading keys (gets, ranges, watches).</summary>
    Read = 1,

    /// <summary>Writing keys (puts, deletes).</summary>
    Write = 2,

    /// <summary>Both.</summary>
    ReadWrite = Read | Write,
}

/// <summary>Access to every key that starts with <see cref="Prefix"/> (every key when it is empty).</summary>
[MessagePackObject]
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "Permission is the auth model's word (a role's permissions, as in etcd); the suffix the rule reserves belongs to .NET Framework's code access security, which .NET no longer has.")]
public sealed class Permission
{
    /// <summary>The key prefix (UTF-8 bytes of the user's key).</summary>
    [Key(0)]
    public required byte[] Prefix { get; init; }

    /// <summary>What is allowed.</summary>
    [Key(1)]
    public required Access Access { get; init; }

    /// <summary>Whether this permission allows <paramref name="access"/> on <paramref name="key"/>.</summary>
    public bool CoversKey(Access access, ReadOnlySpan<byte> key)
        => (Access & access) == access && key.StartsWith(Prefix);

    /// <summary>
    /// Whether this permission allows <paramref name="access"/> on every key of [<paramref name="start"/>,
    /// <paramref name="end"/>), <paramref name="end"/> null meaning "to the last key".
    /// </summary>
    public bool CoversRange(Access access, ReadOnlySpan<byte> start, byte[]? end)
    {
        if ((Access & access) != access || !start.StartsWith(Prefix))
            return false;

        // Every key of the range starts with Prefix when the range ends at or before the first
        // key after Prefix's keys (none for an empty or all-0xFF prefix: those reach the end).
        return KeyOrder.PrefixEnd(Prefix) is not { } prefixEnd
            || (end is not null && end.AsSpan().SequenceCompareTo(prefixEnd) <= 0);
    }

    /// <summary>
    /// Whether this permission allows <paramref name="access"/> on at least one key of
    /// [<paramref name="start"/>, <paramref name="end"/>), <paramref name="end"/> null meaning "to the last key":
    /// whether its keys, [Prefix, PrefixEnd(Prefix)), and the range overlap.
    /// </summary>
    public bool OverlapsRange(Access access, ReadOnlySpan<byte> start, byte[]? end)
    {
        if ((Access & access) != access)
            return false;
        var beginsBeforeEnd = end is null || Prefix.AsSpan().SequenceCompareTo(end) < 0;
        var endsAfterStart = KeyOrder.PrefixEnd(Prefix) is not { } prefixEnd || prefixEnd.AsSpan().SequenceCompareTo(start) > 0;
        return beginsBeforeEnd && endsAfterStart;
    }
}

/// <summary>A user as stored.</summary>
[MessagePackObject]
public sealed class AuthUser
{
    /// <summary>The user's name.</summary>
    [Key(0)]
    public required string Name { get; init; }

    /// <summary>The salted password hash (<see cref="PasswordHash"/>); empty for a user without a password (certificate only).</summary>
    [Key(1)]
    public required byte[] PasswordHash { get; init; }

    /// <summary>The user's roles, sorted.</summary>
    [Key(2)]
    public required string[] Roles { get; init; }

    /// <summary>The log index of the last change to the password or roles; tokens issued before it are void.</summary>
    [Key(3)]
    public long Generation { get; init; }
}

/// <summary>A role as stored.</summary>
[MessagePackObject]
public sealed class AuthRole
{
    /// <summary>The role's name.</summary>
    [Key(0)]
    public required string Name { get; init; }

    /// <summary>What the role grants.</summary>
    [Key(1)]
    public required Permission[] Permissions { get; init; }
}

/// <summary>Whether auth is on, and the key tokens are signed with.</summary>
[MessagePackObject]
public sealed class AuthSettings
{
    /// <summary>Whether requests must authenticate.</summary>
    [Key(0)]
    public bool Enabled { get; init; }

    /// <summary>The HMAC-SHA256 key of tokens (random, made when auth is first enabled).</summary>
    [Key(1)]
    public byte[] SigningKey { get; init; } = [];
}

/// <summary>Unsigned byte order of keys, as the store sorts them.</summary>
public static class KeyOrder
{
    /// <summary>The first key after every key starting with <paramref name="prefix"/>, or null when there is none (empty or all 0xFF).</summary>
    public static byte[]? PrefixEnd(ReadOnlySpan<byte> prefix)
    {
        var end = prefix.ToArray();
        for (var i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] != 0xFF)
            {
                end[i]++;
                return end[..(i + 1)];
            }
        }

        return null;
    }
}
