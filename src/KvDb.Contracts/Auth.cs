// /v1/auth:
//   GET|POST /v1/auth/enable|disable -> {"enabled"}
//   POST /v1/auth/token {"name", "password"} -> {"token", "expiresAt"}
//   GET  /v1/auth/users[/{name}]     -> {"users": [{"name", "roles"}]} / {"name", "roles"}
//   POST /v1/auth/users {"name", "password", "roles"}; PUT .../password {"password", "currentPassword"}; POST .../roles {"role"}
//   POST /v1/auth/rotate-key         -> 204
//   GET  /v1/auth/roles[/{name}]     -> {"roles": [{"name", "permissions": [{"prefix", "access"}]}]} / one role
//   POST|PUT /v1/auth/roles[/{name}] {"name", "permissions"}
// Invariant: the built-in root role is the only one written with "builtIn": true; others leave it out.
using System.Text.Json.Serialization;

namespace KvDb.Contracts;

/// <summary>Whether auth is on.</summary>
public sealed record AuthStatusJson
{
    /// <summary>True when requests need a token or a user.</summary>
    public bool Enabled { get; init; }
}

/// <summary>The body of <c>POST /v1/auth/token</c> and of a user created.</summary>
public sealed record UserRequestJson
{
    /// <summary>The user's name.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Name { get; init; }

    /// <summary>Its password.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Password { get; init; }

    /// <summary>Its roles (creating a user only).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? Roles { get; init; }
}

/// <summary>A token issued.</summary>
public sealed record TokenJson
{
    /// <summary>The bearer token.</summary>
    public string Token { get; init; } = "";

    /// <summary>When it expires.</summary>
    public DateTimeOffset ExpiresAt { get; init; }
}

/// <summary>A user.</summary>
public sealed record UserJson
{
    /// <summary>Its name.</summary>
    public string Name { get; init; } = "";

    /// <summary>Its roles.</summary>
    public List<string> Roles { get; init; } = [];
}

/// <summary><c>GET /v1/auth/users</c>.</summary>
public sealed record UserListJson
{
    /// <summary>Every user, by name.</summary>
    public List<UserJson> Users { get; init; } = [];
}

/// <summary>The body of <c>PUT /v1/auth/users/{name}/password</c>.</summary>
public sealed record PasswordRequestJson
{
    /// <summary>The new password.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Password { get; init; }

    /// <summary>The current password: needed to change one's own (not when root changes another user's).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CurrentPassword { get; init; }
}

/// <summary>The body of <c>POST /v1/auth/users/{name}/roles</c>.</summary>
public sealed record RoleGrantRequestJson
{
    /// <summary>The role to grant.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Role { get; init; }
}

/// <summary>The words of a permission's <c>"access"</c>.</summary>
public static class AccessNames
{
    /// <summary>Read.</summary>
    public const string Read = "read";

    /// <summary>Write.</summary>
    public const string Write = "write";

    /// <summary>Both.</summary>
    public const string ReadWrite = "readwrite";
}

/// <summary>One permission of a role.</summary>
public sealed record PermissionJson
{
    /// <summary>The key prefix ("" for every key).</summary>
    public string? Prefix { get; init; }

    /// <summary>See <see cref="AccessNames"/>.</summary>
    public string? Access { get; init; }
}

/// <summary>A role (also the body that creates or replaces one).</summary>
public sealed record RoleJson
{
    /// <summary>Its name.</summary>
    public string? Name { get; init; }

    /// <summary>What it grants.</summary>
    public List<PermissionJson>? Permissions { get; init; }

    /// <summary>True for the built-in root role; left out for others.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? BuiltIn { get; init; }
}

/// <summary><c>GET /v1/auth/roles</c>.</summary>
public sealed record RoleListJson
{
    /// <summary>Every role, by name.</summary>
    public List<RoleJson> Roles { get; init; } = [];
}
