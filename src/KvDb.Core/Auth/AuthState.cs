// Applies the auth command family and reads the auth state back, over the store's namespace
// 'a': 'a' 'u' name → AuthUser, 'a' 'r' name → AuthRole, 'a' 's' → AuthSettings.
// Invariants:
//  - Applying is deterministic: it reads only the store (and the entry's earlier writes) and
//    the command, never a clock or a random source.
//  - A user's Generation changes whenever its password or roles change, so tokens naming an
//    older generation stop working on every member once the change is applied there. A hash
//    upgrade (the same password, hashed more strongly) keeps it, and applies only over the
//    hash it was verified against.
//  - Roles are kept sorted and unique; the built-in role "root" is never stored.
using System.Text;
using KvDb.Core.Commands;
using KvDb.Core.State;
using MessagePack;

namespace KvDb.Core.Auth;

/// <summary>The replicated users, roles and auth settings, as of one point of the log.</summary>
public sealed class AuthState
{
    /// <summary>The built-in role that may do everything.</summary>
    public const string RootRole = "root";

    /// <summary>The user that administers the cluster while auth is on.</summary>
    public const string RootUser = "root";

    private const byte UserTag = (byte)'u';
    private const byte RoleTag = (byte)'r';
    private const byte SettingsTag = (byte)'s';

    private static readonly MessagePackSerializerOptions Options =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    private static readonly byte[] SettingsKey = [StoreKeys.Auth, SettingsTag];

    private AuthState(AuthSettings settings, Dictionary<string, AuthUser> users, Dictionary<string, AuthRole> roles)
    {
        Settings = settings;
        Users = users;
        Roles = roles;
    }

    /// <summary>Auth off, nobody known: the state of a new cluster.</summary>
    public static AuthState Empty { get; } = new(new AuthSettings(), [], []);

    /// <summary>Whether auth is on, and the token signing key.</summary>
    public AuthSettings Settings { get; }

    /// <summary>Users by name.</summary>
    public IReadOnlyDictionary<string, AuthUser> Users { get; }

    /// <summary>Roles by name (the built-in root role is not listed).</summary>
    public IReadOnlyDictionary<string, AuthRole> Roles { get; }

    /// <summary>Reads the whole auth state of <paramref name="view"/> (it is small: users and roles, not keys).</summary>
    public static AuthState Read(IKeyValueView view)
    {
        var settings = view.TryGet(SettingsKey, out var bytes) && bytes is not null ? Decode<AuthSettings>(bytes) : new AuthSettings();
        var users = new Dictionary<string, AuthUser>(StringComparer.Ordinal);
        var roles = new Dictionary<string, AuthRole>(StringComparer.Ordinal);
        foreach (var (_, value) in view.Scan([StoreKeys.Auth, UserTag], [StoreKeys.Auth, UserTag + 1]))
        {
            var user = Decode<AuthUser>(value);
            users[user.Name] = user;
        }

        foreach (var (_, value) in view.Scan([StoreKeys.Auth, RoleTag], [StoreKeys.Auth, RoleTag + 1]))
        {
            var role = Decode<AuthRole>(value);
            roles[role.Name] = role;
        }

        return new(settings, users, roles);
    }

    /// <summary>
    /// Whether <paramref name="user"/>'s roles allow <paramref name="access"/> on every key of
    /// [<paramref name="start"/>, <paramref name="end"/>) (<paramref name="end"/> null: to the last key),
    /// or on <paramref name="start"/> alone when <paramref name="singleKey"/>.
    /// </summary>
    public bool Allows(AuthUser user, Access access, ReadOnlySpan<byte> start, byte[]? end, bool singleKey)
    {
        foreach (var name in user.Roles)
        {
            if (name == RootRole)
                return true;
            if (!Roles.TryGetValue(name, out var role))
                continue;
            foreach (var permission in role.Permissions)
            {
                if (singleKey ? permission.CoversKey(access, start) : permission.CoversRange(access, start, end))
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether <paramref name="user"/>'s roles allow <paramref name="access"/> on at least one key
    /// of [<paramref name="start"/>, <paramref name="end"/>) (<paramref name="end"/> null: to the last
    /// key): a listing filtered key by key answers such a user and refuses one allowed none.
    /// </summary>
    public bool AllowsAny(AuthUser user, Access access, byte[] start, byte[]? end)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(start);
        foreach (var name in user.Roles)
        {
            if (name == RootRole)
                return true;
            if (!Roles.TryGetValue(name, out var role))
                continue;
            foreach (var permission in role.Permissions)
            {
                if (permission.OverlapsRange(access, start, end))
                    return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="user"/> has the root role.</summary>
    public static bool IsRoot(AuthUser user) => Array.IndexOf(user.Roles, RootRole) >= 0;

    /// <summary>
    /// Applies an auth command at <paramref name="index"/> to <paramref name="store"/> as seen
    /// through <paramref name="batch"/> (the entry's earlier writes), which receives its writes.
    /// </summary>
    public static CommandResult Apply(KvCommand command, long index, IKeyValueStore store, StoreBatch batch)
    {
        byte[]? read(byte[] key) => batch.TryGetPending(key, out var pending) ? pending : store.TryGet(key, out var value) ? value : null;
        return command switch
        {
            PutUserCommand put => PutUser(put, index, read, batch),
            DeleteUserCommand delete => DeleteUser(delete, index, read, batch),
            PutRoleCommand put => PutRole(put, index, read, batch),
            DeleteRoleCommand delete => DeleteRole(delete, index, read, store, batch),
            SetUserRoleCommand set => SetUserRole(set, index, read, batch),
            SetAuthCommand set => SetAuth(set, index, read, batch),
            RotateSigningKeyCommand rotate => RotateSigningKey(rotate, index, read, batch),
            UpgradePasswordHashCommand upgrade => UpgradePasswordHash(upgrade, index, read, batch),
            _ => throw new InvalidDataException($"Not an auth command: {command.GetType().Name}."),
        };
    }

    private static CommandResult PutUser(PutUserCommand put, long index, Func<byte[], byte[]?> read, StoreBatch batch)
    {
        var key = KeyOf(UserTag, put.Name);
        var existing = Get<AuthUser>(read, key);
        if (existing is not null && put.MustNotExist)
            return new(CommandOutcome.Conflict, index);
        if (existing is null)
        {
            foreach (var role in put.Roles)
            {
                if (role != RootRole && read(KeyOf(RoleTag, role)) is null)
                    return new(CommandOutcome.NotFound, index);
            }
        }

        var user = existing is null
            ? new AuthUser { Name = put.Name, PasswordHash = put.PasswordHash ?? [], Roles = Normalize(put.Roles), Generation = index }
            : new AuthUser { Name = existing.Name, PasswordHash = put.PasswordHash ?? existing.PasswordHash, Roles = existing.Roles, Generation = index };
        batch.Put(key, Encode(user));
        return new(CommandOutcome.Applied, index);
    }

    private static CommandResult DeleteUser(DeleteUserCommand delete, long index, Func<byte[], byte[]?> read, StoreBatch batch)
    {
        var key = KeyOf(UserTag, delete.Name);
        if (read(key) is null)
            return new(CommandOutcome.NotFound, index);
        if (delete.Name == RootUser && IsEnabled(read))
            return new(CommandOutcome.Conflict, index);

        batch.Delete(key);
        return new(CommandOutcome.Applied, index);
    }

    private static CommandResult PutRole(PutRoleCommand put, long index, Func<byte[], byte[]?> read, StoreBatch batch)
    {
        var key = KeyOf(RoleTag, put.Name);
        if (put.Name == RootRole || (put.MustNotExist && read(key) is not null))
            return new(CommandOutcome.Conflict, index);

        batch.Put(key, Encode(new AuthRole { Name = put.Name, Permissions = put.Permissions }));
        return new(CommandOutcome.Applied, index);
    }

    private static CommandResult DeleteRole(DeleteRoleCommand delete, long index, Func<byte[], byte[]?> read, IKeyValueStore store, StoreBatch batch)
    {
        var key = KeyOf(RoleTag, delete.Name);
        if (delete.Name == RootRole)
            return new(CommandOutcome.Conflict, index);
        if (read(key) is null)
            return new(CommandOutcome.NotFound, index);

        batch.Delete(key);
        foreach (var user in UsersWith(read, store, batch, delete.Name))
            batch.Put(KeyOf(UserTag, user.Name), Encode(WithRoles(user, user.Roles.Where(r => r != delete.Name), index)));
        return new(CommandOutcome.Applied, index);
    }

    private static CommandResult SetUserRole(SetUserRoleCommand set, long index, Func<byte[], byte[]?> read, StoreBatch batch)
    {
        var key = KeyOf(UserTag, set.User);
        if (Get<AuthUser>(read, key) is not { } user)
            return new(CommandOutcome.NotFound, index);

        var has = Array.IndexOf(user.Roles, set.Role) >= 0;
        if (set.Granted)
        {
            if (set.Role != RootRole && read(KeyOf(RoleTag, set.Role)) is null)
                return new(CommandOutcome.NotFound, index);
            if (has)
                return new(CommandOutcome.Applied, index);
            batch.Put(key, Encode(WithRoles(user, [.. user.Roles, set.Role], index)));
            return new(CommandOutcome.Applied, index);
        }

        if (!has)
            return new(CommandOutcome.NotFound, index);
        if (set.User == RootUser && set.Role == RootRole && IsEnabled(read))
            return new(CommandOutcome.Conflict, index);
        batch.Put(key, Encode(WithRoles(user, user.Roles.Where(r => r != set.Role), index)));
        return new(CommandOutcome.Applied, index);
    }

    private static CommandResult SetAuth(SetAuthCommand set, long index, Func<byte[], byte[]?> read, StoreBatch batch)
    {
        var settings = Get<AuthSettings>(read, SettingsKey) ?? new AuthSettings();
        if (set.Enabled)
        {
            var rootKey = KeyOf(UserTag, RootUser);
            if (Get<AuthUser>(read, rootKey) is not { } root)
                return new(CommandOutcome.PreconditionFailed, index);

            // As etcd does: enabling makes sure root can administer what it enabled.
            if (!IsRoot(root))
                batch.Put(rootKey, Encode(WithRoles(root, [.. root.Roles, RootRole], index)));
        }

        var signingKey = settings.SigningKey is { Length: > 0 } kept ? kept : set.SigningKey ?? [];
        batch.Put(SettingsKey, Encode(new AuthSettings { Enabled = set.Enabled, SigningKey = signingKey }));
        return new(CommandOutcome.Applied, index);
    }

    private static CommandResult RotateSigningKey(RotateSigningKeyCommand rotate, long index, Func<byte[], byte[]?> read, StoreBatch batch)
    {
        var settings = Get<AuthSettings>(read, SettingsKey) ?? new AuthSettings();
        batch.Put(SettingsKey, Encode(new AuthSettings { Enabled = settings.Enabled, SigningKey = rotate.SigningKey }));
        return new(CommandOutcome.Applied, index);
    }

    // Keeps Generation: the password is the same, so its tokens and cached verifications stay good.
    private static CommandResult UpgradePasswordHash(UpgradePasswordHashCommand upgrade, long index, Func<byte[], byte[]?> read, StoreBatch batch)
    {
        var key = KeyOf(UserTag, upgrade.Name);
        if (Get<AuthUser>(read, key) is not { } user)
            return new(CommandOutcome.NotFound, index);
        if (!user.PasswordHash.AsSpan().SequenceEqual(upgrade.Verified))
            return new(CommandOutcome.PreconditionFailed, index);

        batch.Put(key, Encode(new AuthUser { Name = user.Name, PasswordHash = upgrade.PasswordHash, Roles = user.Roles, Generation = user.Generation }));
        return new(CommandOutcome.Applied, index);
    }

    private static bool IsEnabled(Func<byte[], byte[]?> read) => Get<AuthSettings>(read, SettingsKey)?.Enabled ?? false;

    // Every user (stored, or written earlier in this entry) that has the role; a role deletion is rare.
    private static List<AuthUser> UsersWith(Func<byte[], byte[]?> read, IKeyValueStore store, StoreBatch batch, string role)
    {
        var keys = new HashSet<byte[]>(ByteArrayComparer.Instance);
        using (var view = store.OpenView())
        {
            foreach (var (key, _) in view.Scan([StoreKeys.Auth, UserTag], [StoreKeys.Auth, UserTag + 1]))
                keys.Add(key);
        }

        foreach (var (key, _) in batch.Writes())
        {
            if (key is [StoreKeys.Auth, UserTag, ..])
                keys.Add(key);
        }

        var users = new List<AuthUser>();
        foreach (var key in keys)
        {
            if (Get<AuthUser>(read, key) is { } user && Array.IndexOf(user.Roles, role) >= 0)
                users.Add(user);
        }

        return users;
    }

    private static AuthUser WithRoles(AuthUser user, IEnumerable<string> roles, long index)
        => new() { Name = user.Name, PasswordHash = user.PasswordHash, Roles = Normalize(roles), Generation = index };

    private static string[] Normalize(IEnumerable<string> roles) => roles.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    private static byte[] KeyOf(byte tag, string name)
    {
        var key = new byte[2 + Encoding.UTF8.GetByteCount(name)];
        key[0] = StoreKeys.Auth;
        key[1] = tag;
        Encoding.UTF8.GetBytes(name, key.AsSpan(2));
        return key;
    }

    private static T? Get<T>(Func<byte[], byte[]?> read, byte[] key) where T : class
        => read(key) is { } bytes ? Decode<T>(bytes) : null;

    private static T Decode<T>(byte[] bytes) => MessagePackSerializer.Deserialize<T>(bytes, Options);

    private static byte[] Encode<T>(T record) => MessagePackSerializer.Serialize(record, Options);
}
