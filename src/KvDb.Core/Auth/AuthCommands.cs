// The auth command family: users, roles and the auth switch, replicated through the log like
// every write so that each member decides every request from the same state (as etcd does).
// Invariants:
//  - Commands carry only what every member applies identically: a password arrives already
//    hashed (the proposing member salts and hashes it), a signing key already generated.
//  - The role "root" is built in: it cannot be created, changed or deleted, and grants everything.
//  - While auth is enabled the user "root" keeps the role "root": nothing may delete the user or
//    revoke the role, so the cluster can always be administered.
//  - A command's meaning never changes once a release has written it: SetAuthCommand keeps a
//    signing key it finds (as entries of earlier releases did); a new key comes from
//    RotateSigningKeyCommand, which enabling proposes first.
using KvDb.Core.Commands;
using MessagePack;

namespace KvDb.Core.Auth;

/// <summary>Creates a user, or changes an existing user's password; either revokes the user's tokens.</summary>
[MessagePackObject]
public sealed class PutUserCommand : KvCommand
{
    /// <summary>The user's name.</summary>
    [Key(0)]
    public required string Name { get; init; }

    /// <summary>The salted hash of the new password (<see cref="PasswordHash"/>), or null to keep it.</summary>
    [Key(1)]
    public byte[]? PasswordHash { get; init; }

    /// <summary>The user's roles when created (ignored for an existing user).</summary>
    [Key(2)]
    public string[] Roles { get; init; } = [];

    /// <summary>Refuse (Conflict) when the user exists: a create, not a password change.</summary>
    [Key(3)]
    public bool MustNotExist { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 64 + Name.Length + (PasswordHash?.Length ?? 0) + Roles.Sum(static r => r.Length + 4);

    /// <inheritdoc/>
    public override string? Validate()
        => string.IsNullOrEmpty(Name) || Roles is null || Array.IndexOf(Roles, null) >= 0 ? "a user command without a name" : null;
}

/// <summary>Deletes a user.</summary>
[MessagePackObject]
public sealed class DeleteUserCommand : KvCommand
{
    /// <summary>The user's name.</summary>
    [Key(0)]
    public required string Name { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 16 + Name.Length;

    /// <inheritdoc/>
    public override string? Validate() => string.IsNullOrEmpty(Name) ? "a user deletion without a name" : null;
}

/// <summary>Creates a role or replaces its permissions.</summary>
[MessagePackObject]
public sealed class PutRoleCommand : KvCommand
{
    /// <summary>The role's name.</summary>
    [Key(0)]
    public required string Name { get; init; }

    /// <summary>What the role grants.</summary>
    [Key(1)]
    public required Permission[] Permissions { get; init; }

    /// <summary>Refuse (Conflict) when the role exists.</summary>
    [Key(2)]
    public bool MustNotExist { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 32 + Name.Length + Permissions.Sum(static p => p.Prefix.Length + 8);

    /// <inheritdoc/>
    public override string? Validate()
        => string.IsNullOrEmpty(Name) || Permissions is null || Array.IndexOf(Permissions, null) >= 0 || Permissions.Any(static p => p.Prefix is null)
            ? "a role command without a name or with a malformed permission"
            : null;
}

/// <summary>Deletes a role, and takes it from every user that has it.</summary>
[MessagePackObject]
public sealed class DeleteRoleCommand : KvCommand
{
    /// <summary>The role's name.</summary>
    [Key(0)]
    public required string Name { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 16 + Name.Length;

    /// <inheritdoc/>
    public override string? Validate() => string.IsNullOrEmpty(Name) ? "a role deletion without a name" : null;
}

/// <summary>Grants (or revokes) a role to (from) a user; either revokes the user's tokens.</summary>
[MessagePackObject]
public sealed class SetUserRoleCommand : KvCommand
{
    /// <summary>The user's name.</summary>
    [Key(0)]
    public required string User { get; init; }

    /// <summary>The role's name.</summary>
    [Key(1)]
    public required string Role { get; init; }

    /// <summary>True to grant, false to revoke.</summary>
    [Key(2)]
    public bool Granted { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 16 + User.Length + Role.Length;

    /// <inheritdoc/>
    public override string? Validate() => string.IsNullOrEmpty(User) || string.IsNullOrEmpty(Role) ? "a role grant without a user and a role" : null;
}

/// <summary>Turns authentication and authorization on or off for the whole cluster.</summary>
[MessagePackObject]
public sealed class SetAuthCommand : KvCommand
{
    /// <summary>True to enable auth (refused until the user root exists), false to disable it.</summary>
    [Key(0)]
    public bool Enabled { get; init; }

    /// <summary>A new random key for signing tokens; kept only if the state has none yet.</summary>
    [Key(1)]
    public byte[]? SigningKey { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 16 + (SigningKey?.Length ?? 0);

    /// <inheritdoc/>
    public override string? Validate() => Enabled && SigningKey is not { Length: >= 32 } ? "enabling auth without a signing key" : null;
}

/// <summary>Replaces the token signing key, so every token issued before stops working.</summary>
[MessagePackObject]
public sealed class RotateSigningKeyCommand : KvCommand
{
    /// <summary>The new random key (at least 32 bytes), made by the proposing member.</summary>
    [Key(0)]
    public required byte[] SigningKey { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 16 + (SigningKey?.Length ?? 0);

    /// <inheritdoc/>
    public override string? Validate() => SigningKey is not { Length: >= 32 } ? "a signing key rotation without a key of 32 bytes or more" : null;
}

/// <summary>
/// Replaces a user's password hash with a stronger hash of the same password, verified at a
/// login: unlike a password change it keeps the user's generation (their tokens stay valid), and
/// it applies only while the stored hash is still the one the login verified.
/// </summary>
[MessagePackObject]
public sealed class UpgradePasswordHashCommand : KvCommand
{
    /// <summary>The user's name.</summary>
    [Key(0)]
    public required string Name { get; init; }

    /// <summary>The stored hash the password was verified against.</summary>
    [Key(1)]
    public required byte[] Verified { get; init; }

    /// <summary>The new hash of the same password.</summary>
    [Key(2)]
    public required byte[] PasswordHash { get; init; }

    /// <inheritdoc/>
    [IgnoreMember]
    public override int ApproximateSize => 32 + Name.Length + (Verified?.Length ?? 0) + (PasswordHash?.Length ?? 0);

    /// <inheritdoc/>
    public override string? Validate()
        => string.IsNullOrEmpty(Name) || Verified is not { Length: > 0 } || PasswordHash is not { Length: > 0 } ? "a password hash upgrade without a user, the verified hash and the new one" : null;
}
