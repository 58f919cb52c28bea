// Users, roles, the auth switch and tokens: /v1/auth/*. Changes are proposed through the log
// (AuthState applies them on every member); lists and lookups answer from this member's
// applied state.
// Invariants:
//  - A password leaves this member only as a salted hash (PasswordHash), inside the proposed command.
//  - Enabling is refused (409) until the user root exists; enabling grants it the root role and
//    starts a new signing key (so no token from before a disable works after); rotate-key
//    replaces the key at any time. Either voids every token issued before.
//  - Changing one's own password needs the current one (checked with the failed-login limits):
//    a stolen token alone must not take the account over. Root changes others' without theirs.
//  - Every error is problem details: 400 malformed, 404 unknown user or role, 409 conflicts.
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using KvDb.Contracts;
using KvDb.Core.Auth;
using KvDb.Core.Commands;
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using KvDb.Node.Observability;
using KvDb.Node.OpenApi;
using KvDb.Node.Writes;
using Microsoft.Extensions.Options;

namespace KvDb.Node.Auth;

/// <summary>Maps <c>/v1/auth</c>.</summary>
public static class AuthEndpoints
{
    private const int MaxBodyBytes = 64 * 1024;
    private const int MaxPrefixBytes = 4096;

    /// <summary>Maps the auth endpoints with their access rules.</summary>
    public static void MapAuthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/auth/status", Status).Allow(AccessRule.Open)
            .Document("getAuthStatus", "Whether auth is enabled.", StatusCodes.Status200OK);
        app.MapPost("/v1/auth/enable", EnableAsync).Allow(AccessRule.Root)
            .Document("enableAuth", "Enable auth; the user root must exist (409 otherwise) and gets the root role.", StatusCodes.Status200OK, StatusCodes.Status409Conflict, StatusCodes.Status507InsufficientStorage);
        app.MapPost("/v1/auth/disable", DisableAsync).Allow(AccessRule.Root)
            .Document("disableAuth", "Disable auth: every endpoint is open again.", StatusCodes.Status200OK, StatusCodes.Status507InsufficientStorage);
        app.MapPost("/v1/auth/rotate-key", RotateKeyAsync).Allow(AccessRule.Root)
            .Document("rotateSigningKey", "Replace the token signing key: every token issued before stops working (passwords and client certificates keep working).", StatusCodes.Status204NoContent, StatusCodes.Status507InsufficientStorage);
        app.MapPost("/v1/auth/token", Token).Allow(AccessRule.Open)
            .Document("issueToken", "A Bearer token for {\"name\", \"password\"}, valid for --auth-token-ttl.", StatusCodes.Status200OK, StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status429TooManyRequests)
            .DescribeBody(typeof(JsonElement), "application/json");
        app.MapGet("/v1/auth/users", ListUsers).Allow(AccessRule.Root)
            .Document("listUsers", "Every user with their roles.", StatusCodes.Status200OK);
        app.MapPost("/v1/auth/users", AddUserAsync).Allow(AccessRule.Root)
            .Document("addUser", "Create a user: {\"name\", \"password\", \"roles\"}.", StatusCodes.Status201Created, StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status507InsufficientStorage)
            .DescribeBody(typeof(JsonElement), "application/json");
        app.MapGet("/v1/auth/users/{name}", GetUser).Allow(AccessRule.Root)
            .Document("getUser", "One user and their roles.", StatusCodes.Status200OK, StatusCodes.Status404NotFound);
        app.MapDelete("/v1/auth/users/{name}", DeleteUserAsync).Allow(AccessRule.Root)
            .Document("deleteUser", "Delete a user (not root while auth is enabled).", StatusCodes.Status204NoContent, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status507InsufficientStorage);
        app.MapPut("/v1/auth/users/{name}/password", ChangePasswordAsync).Allow(AccessRule.AnyUser)
            .Document("changePassword", "Change a password, {\"password\", \"currentPassword\"}: users their own (with the current one), root anyone else's (without). Their tokens stop working.", StatusCodes.Status204NoContent, StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status429TooManyRequests, StatusCodes.Status507InsufficientStorage)
            .DescribeBody(typeof(JsonElement), "application/json");
        app.MapPost("/v1/auth/users/{name}/roles", GrantAsync).Allow(AccessRule.Root)
            .Document("grantRole", "Grant a user a role: {\"role\"}.", StatusCodes.Status204NoContent, StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status507InsufficientStorage)
            .DescribeBody(typeof(JsonElement), "application/json");
        app.MapDelete("/v1/auth/users/{name}/roles/{role}", RevokeAsync).Allow(AccessRule.Root)
            .Document("revokeRole", "Take a role from a user.", StatusCodes.Status204NoContent, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status507InsufficientStorage);
        app.MapGet("/v1/auth/roles", ListRoles).Allow(AccessRule.Root)
            .Document("listRoles", "Every role with its permissions.", StatusCodes.Status200OK);
        app.MapPost("/v1/auth/roles", AddRoleAsync).Allow(AccessRule.Root)
            .Document("addRole", "Create a role: {\"name\", \"permissions\": [{\"prefix\", \"access\": \"read\" | \"write\" | \"readwrite\"}]}.", StatusCodes.Status201Created, StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status507InsufficientStorage)
            .DescribeBody(typeof(JsonElement), "application/json");
        app.MapGet("/v1/auth/roles/{name}", GetRole).Allow(AccessRule.Root)
            .Document("getRole", "One role and its permissions.", StatusCodes.Status200OK, StatusCodes.Status404NotFound);
        app.MapPut("/v1/auth/roles/{name}", PutRoleAsync).Allow(AccessRule.Root)
            .Document("putRole", "Create or replace a role's permissions: {\"permissions\": [...]}.", StatusCodes.Status200OK, StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status507InsufficientStorage)
            .DescribeBody(typeof(JsonElement), "application/json");
        app.MapDelete("/v1/auth/roles/{name}", DeleteRoleAsync).Allow(AccessRule.Root)
            .Document("deleteRole", "Delete a role (not the built-in root).", StatusCodes.Status204NoContent, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status507InsufficientStorage);
    }

    // Tag, name, summary, the success status (204 without a body, else JSON) and the problems an
    // auth endpoint answers besides 503 "Starting".
    private static RouteHandlerBuilder Document(this RouteHandlerBuilder endpoint, string name, string summary, int success, params int[] problems)
    {
        endpoint.WithTags("auth").WithName(name).WithSummary(summary);
        if (success == StatusCodes.Status204NoContent)
            endpoint.Produces(success);
        else
            endpoint.Produces<JsonElement>(success);
        foreach (var status in problems.Append(StatusCodes.Status503ServiceUnavailable))
            endpoint.ProducesProblem(status);
        return endpoint;
    }

    private static IResult Status(AuthCache cache)
        => cache.Current is { } state ? Enabled(state.Settings.Enabled) : Starting();

    private static async Task<IResult> EnableAsync(HttpContext context, AuthWrites writes)
    {
        // The new key first: SetAuthCommand keeps a key it finds (its meaning in earlier releases),
        // and once enabled no token from before may work.
        await writes.ProposeAsync(new RotateSigningKeyCommand { SigningKey = RandomNumberGenerator.GetBytes(32) }, context.RequestAborted);
        var result = await writes.ProposeAsync(new SetAuthCommand { Enabled = true, SigningKey = RandomNumberGenerator.GetBytes(32) }, context.RequestAborted);
        return result.Outcome switch
        {
            CommandOutcome.Applied => Enabled(true),
            _ => Problems.Of(StatusCodes.Status409Conflict, "No root user",
                "Create the user root first (POST /v1/auth/users {\"name\": \"root\", \"password\": \"...\"}); enabling auth without it would lock everyone out."),
        };
    }

    private static async Task<IResult> DisableAsync(HttpContext context, AuthWrites writes)
    {
        await writes.ProposeAsync(new SetAuthCommand { Enabled = false }, context.RequestAborted);
        return Enabled(false);
    }

    private static async Task<IResult> RotateKeyAsync(HttpContext context, AuthWrites writes)
    {
        await writes.ProposeAsync(new RotateSigningKeyCommand { SigningKey = RandomNumberGenerator.GetBytes(32) }, context.RequestAborted);
        return Results.NoContent();
    }

    private static async Task<IResult> Token(HttpContext context, AuthCache cache, Authenticator authenticator, IOptions<AuthOptions> options, TimeProvider clock)
    {
        var (json, error) = await ReadObjectAsync(context, """{"name": "ann", "password": "..."}""");
        if (json is not { } body)
            return error!;
        if (String(body, "name") is not { Length: > 0 } name || String(body, "password") is not { } password)
            return Problems.BadRequest("Expected {\"name\": \"ann\", \"password\": \"...\"}: strings 'name' and 'password'.");
        context.Features.Set(new LoginAttempt(name));
        if (cache.Current is not { } state)
            return Starting();
        if (!state.Settings.Enabled || state.Settings.SigningKey.Length == 0)
            return Problems.Of(StatusCodes.Status409Conflict, "Auth is off", "Tokens are issued only while auth is enabled (POST /v1/auth/enable).");

        var authentication = authenticator.CheckPassword(context, name, password, state);
        if (authentication.User is not { } user)
        {
            AuthInstruments.RecordAuthRefusal(authentication.Status);
            return Problems.Of(authentication.Status, authentication.Status == StatusCodes.Status429TooManyRequests ? "Too many requests" : "Unauthorized", authentication.Failure!);
        }

        var expiresAt = clock.GetUtcNow() + options.Value.TokenTtl;
        return Results.Json(new TokenJson { Token = AuthTokens.Issue(user, state.Settings.SigningKey, expiresAt), ExpiresAt = expiresAt }, KvDbJsonContext.Default.TokenJson);
    }

    private static IResult ListUsers(AuthCache cache)
        => cache.Current is { } state
            ? Results.Json(new UserListJson { Users = [.. state.Users.Values.OrderBy(u => u.Name, StringComparer.Ordinal).Select(DescribeUser)] }, KvDbJsonContext.Default.UserListJson)
            : Starting();

    private static IResult GetUser(string name, AuthCache cache)
        => cache.Current is not { } state ? Starting()
            : state.Users.TryGetValue(name, out var user) ? Results.Json(DescribeUser(user), KvDbJsonContext.Default.UserJson)
            : NoSuchUser(name);

    private static async Task<IResult> AddUserAsync(HttpContext context, AuthWrites writes)
    {
        const string Example = """{"name": "ann", "password": "...", "roles": ["reader"]}""";
        var (json, error) = await ReadObjectAsync(context, Example);
        if (json is not { } body)
            return error!;
        if (String(body, "name") is not { } name)
            return Problems.BadRequest($"Expected {Example}: a string 'name'.");
        if (CheckName(name, "user") is { } nameError)
            return Problems.BadRequest(nameError);
        if (String(body, "password") is not { } password)
            return Problems.BadRequest($"Expected {Example}: a string 'password'.");
        if (CheckPassword(password) is { } passwordError)
            return Problems.BadRequest(passwordError);
        if (Strings(body, "roles") is not { } roles)
            return Problems.BadRequest($"Expected {Example}: 'roles' must be an array of role names (or left out).");

        var result = await writes.ProposeAsync(new PutUserCommand { Name = name, PasswordHash = PasswordHash.Create(password), Roles = roles, MustNotExist = true }, context.RequestAborted);
        return result.Outcome switch
        {
            CommandOutcome.Applied => Created(context, $"/v1/auth/users/{Uri.EscapeDataString(name)}", new UserJson { Name = name, Roles = [.. roles] }, KvDbJsonContext.Default.UserJson),
            CommandOutcome.Conflict => Problems.Of(StatusCodes.Status409Conflict, "User exists", $"User '{name}' exists; change its password with PUT /v1/auth/users/{name}/password."),
            _ => Problems.BadRequest($"A role in [{string.Join(", ", roles)}] does not exist; create it first (POST /v1/auth/roles)."),
        };
    }

    private static async Task<IResult> DeleteUserAsync(HttpContext context, string name, AuthWrites writes)
    {
        var result = await writes.ProposeAsync(new DeleteUserCommand { Name = name }, context.RequestAborted);
        return result.Outcome switch
        {
            CommandOutcome.Applied => Results.NoContent(),
            CommandOutcome.NotFound => NoSuchUser(name),
            _ => Problems.Of(StatusCodes.Status409Conflict, "Root is needed", "The user root cannot be deleted while auth is enabled."),
        };
    }

    private static async Task<IResult> ChangePasswordAsync(HttpContext context, string name, AuthWrites writes, Authenticator authenticator)
    {
        const string Example = """{"password": "new", "currentPassword": "old"}""";

        // Users may change their own password; root may change anyone's.
        var caller = context.Features.Get<AuthenticatedCaller>();
        if (caller is not null && caller.User.Name != name && !AuthState.IsRoot(caller.User))
            return Problems.Of(StatusCodes.Status403Forbidden, "Forbidden", $"User '{caller.User.Name}' may change only their own password.");

        var (json, error) = await ReadObjectAsync(context, Example);
        if (json is not { } body)
            return error!;
        if (String(body, "password") is not { } password)
            return Problems.BadRequest($"Expected {Example}: a string 'password'.");
        if (CheckPassword(password) is { } passwordError)
            return Problems.BadRequest(passwordError);

        // One's own password (root's too) needs the current one, so that a token alone (stolen,
        // or a session left open) cannot take the account over. A user without a password
        // (certificate only) has none to give.
        if (caller is not null && caller.User.Name == name && caller.User.PasswordHash.Length > 0)
        {
            if (String(body, "currentPassword") is not { } current)
                return Problems.BadRequest($"Changing your own password needs your current one: {Example} (a string 'currentPassword').");
            var check = authenticator.CheckPassword(context, name, current, caller.State);
            if (check.Status == StatusCodes.Status429TooManyRequests)
            {
                AuthInstruments.RecordAuthRefusal(check.Status);
                return Problems.Of(check.Status, "Too many requests", check.Failure!);
            }

            if (check.User is null)
            {
                AuthInstruments.RecordAuthRefusal(StatusCodes.Status403Forbidden);
                return Problems.Of(StatusCodes.Status403Forbidden, "Forbidden", "The current password is wrong; the password was not changed.");
            }
        }

        var result = await writes.ProposeAsync(new PutUserCommand { Name = name, PasswordHash = PasswordHash.Create(password) }, context.RequestAborted);
        return result.Outcome == CommandOutcome.Applied ? Results.NoContent() : NoSuchUser(name);
    }

    private static async Task<IResult> GrantAsync(HttpContext context, string name, AuthWrites writes)
    {
        var (json, error) = await ReadObjectAsync(context, """{"role": "reader"}""");
        if (json is not { } body)
            return error!;
        if (String(body, "role") is not { Length: > 0 } role)
            return Problems.BadRequest("Expected {\"role\": \"reader\"}.");

        var result = await writes.ProposeAsync(new SetUserRoleCommand { User = name, Role = role, Granted = true }, context.RequestAborted);
        return result.Outcome == CommandOutcome.Applied
            ? Results.NoContent()
            : Problems.Of(StatusCodes.Status404NotFound, "Not found", $"User '{name}' or role '{role}' does not exist.");
    }

    private static async Task<IResult> RevokeAsync(HttpContext context, string name, string role, AuthWrites writes)
    {
        var result = await writes.ProposeAsync(new SetUserRoleCommand { User = name, Role = role, Granted = false }, context.RequestAborted);
        return result.Outcome switch
        {
            CommandOutcome.Applied => Results.NoContent(),
            CommandOutcome.NotFound => Problems.Of(StatusCodes.Status404NotFound, "Not found", $"User '{name}' does not exist or does not have role '{role}'."),
            _ => Problems.Of(StatusCodes.Status409Conflict, "Root is needed", "The user root keeps the root role while auth is enabled."),
        };
    }

    private static IResult ListRoles(AuthCache cache)
        => cache.Current is { } state
            ? Results.Json(new RoleListJson { Roles = [.. state.Roles.Values.OrderBy(r => r.Name, StringComparer.Ordinal).Select(DescribeRole)] }, KvDbJsonContext.Default.RoleListJson)
            : Starting();

    private static IResult GetRole(string name, AuthCache cache)
        => cache.Current is not { } state ? Starting()
            : state.Roles.TryGetValue(name, out var role) ? Results.Json(DescribeRole(role), KvDbJsonContext.Default.RoleJson)
            : name == AuthState.RootRole ? Results.Json(new RoleJson { Name = name, Permissions = [new PermissionJson { Prefix = "", Access = AccessNames.ReadWrite }], BuiltIn = true }, KvDbJsonContext.Default.RoleJson)
            : Problems.Of(StatusCodes.Status404NotFound, "No such role", $"Role '{name}' does not exist.");

    private static async Task<IResult> AddRoleAsync(HttpContext context, AuthWrites writes)
        => await PutRoleAsync(context, null, writes);

    private static async Task<IResult> PutRoleAsync(HttpContext context, string? name, AuthWrites writes)
    {
        const string Example = """{"name": "reader", "permissions": [{"prefix": "pub/", "access": "read"}]}""";
        var (json, error) = await ReadObjectAsync(context, Example);
        if (json is not { } body)
            return error!;

        var creating = name is null;
        name ??= String(body, "name");
        if (name is null)
            return Problems.BadRequest($"Expected {Example}: a string 'name'.");
        if (CheckName(name, "role") is { } nameError)
            return Problems.BadRequest(nameError);
        if (name == AuthState.RootRole)
            return Problems.Of(StatusCodes.Status409Conflict, "Built-in role", "The role root is built in (it grants everything) and cannot be created or changed.");
        if (ParsePermissions(body) is not { } permissions)
            return Problems.BadRequest($"Expected {Example}: 'permissions' is an array of {{\"prefix\": string, \"access\": \"read\" | \"write\" | \"readwrite\"}} (prefix at most {MaxPrefixBytes} bytes; \"\" means every key).");

        var result = await writes.ProposeAsync(new PutRoleCommand { Name = name, Permissions = permissions, MustNotExist = creating }, context.RequestAborted);
        if (result.Outcome == CommandOutcome.Conflict)
            return Problems.Of(StatusCodes.Status409Conflict, "Role exists", $"Role '{name}' exists; replace its permissions with PUT /v1/auth/roles/{name}.");
        var role = new AuthRole { Name = name, Permissions = permissions };
        return creating ? Created(context, $"/v1/auth/roles/{Uri.EscapeDataString(name)}", DescribeRole(role), KvDbJsonContext.Default.RoleJson) : Results.Json(DescribeRole(role), KvDbJsonContext.Default.RoleJson);
    }

    private static async Task<IResult> DeleteRoleAsync(HttpContext context, string name, AuthWrites writes)
    {
        var result = await writes.ProposeAsync(new DeleteRoleCommand { Name = name }, context.RequestAborted);
        return result.Outcome switch
        {
            CommandOutcome.Applied => Results.NoContent(),
            CommandOutcome.NotFound => Problems.Of(StatusCodes.Status404NotFound, "No such role", $"Role '{name}' does not exist."),
            _ => Problems.Of(StatusCodes.Status409Conflict, "Built-in role", "The role root is built in and cannot be deleted."),
        };
    }

    private static Permission[]? ParsePermissions(JsonElement body)
    {
        if (!body.TryGetProperty("permissions", out var list))
            return [];
        if (list.ValueKind is not JsonValueKind.Array)
            return null;

        var permissions = new List<Permission>();
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind is not JsonValueKind.Object || String(item, "prefix") is not { } prefix || String(item, "access") is not { } access)
                return null;
            var bytes = Encoding.UTF8.GetBytes(prefix);
            if (bytes.Length > MaxPrefixBytes)
                return null;
            Access? parsed = access switch { "read" => Access.Read, "write" => Access.Write, "readwrite" => Access.ReadWrite, _ => null };
            if (parsed is not { } value)
                return null;
            permissions.Add(new Permission { Prefix = bytes, Access = value });
        }

        return [.. permissions];
    }

    private static UserJson DescribeUser(AuthUser user) => new() { Name = user.Name, Roles = [.. user.Roles] };

    private static RoleJson DescribeRole(AuthRole role) => new()
    {
        Name = role.Name,
        Permissions = [.. role.Permissions.Select(static p => new PermissionJson { Prefix = Encoding.UTF8.GetString(p.Prefix), Access = p.Access switch { Access.Read => AccessNames.Read, Access.Write => AccessNames.Write, _ => AccessNames.ReadWrite } })],
    };

    private static IResult Enabled(bool enabled) => Results.Json(new AuthStatusJson { Enabled = enabled }, KvDbJsonContext.Default.AuthStatusJson);

    // 201 with Location and the record, as Results.Created answers, through the contract's metadata.
    private static IResult Created<T>(HttpContext context, string location, T value, JsonTypeInfo<T> type)
    {
        context.Response.Headers.Location = location;
        return Results.Json(value, type, statusCode: StatusCodes.Status201Created);
    }

    private static string? CheckName(string name, string what)
        => name.Length is 0 or > 64 || !name.All(static c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '@')
            ? $"A {what} name is 1 to 64 characters of letters, digits, '_', '-', '.' and '@'; '{ValueResults.Shorten(name)}' is not."
            : null;

    private static string? CheckPassword(string password)
        => password.Length is 0 or > 256 ? "A password is 1 to 256 characters." : null;

    private static string? String(JsonElement body, string name)
        => body.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.String ? value.GetString() : null;

    private static string[]? Strings(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value))
            return [];
        if (value.ValueKind is not JsonValueKind.Array || value.EnumerateArray().Any(static v => v.ValueKind is not JsonValueKind.String))
            return null;
        return [.. value.EnumerateArray().Select(static v => v.GetString()!)];
    }

    private static async Task<(JsonElement? Body, IResult? Error)> ReadObjectAsync(HttpContext context, string example)
    {
        var bytes = await RequestBody.ReadAsync(context, MaxBodyBytes);
        if (bytes is null)
            return (null, Problems.Of(StatusCodes.Status413PayloadTooLarge, "Body too large", $"Expected a small JSON object like {example}."));
        try
        {
            using var json = JsonDocument.Parse(bytes);
            return json.RootElement.ValueKind is JsonValueKind.Object
                ? (json.RootElement.Clone(), null)
                : (null, Problems.BadRequest($"Expected a JSON object like {example}."));
        }
        catch (JsonException e)
        {
            return (null, Problems.BadRequest($"The body is not valid JSON ({e.Message}); expected {example}."));
        }
    }

    private static IResult NoSuchUser(string name) => Problems.Of(StatusCodes.Status404NotFound, "No such user", $"User '{ValueResults.Shorten(name)}' does not exist.");

    private static IResult Starting() => Problems.Of(StatusCodes.Status503ServiceUnavailable, "Starting", "This member is still starting; retry shortly.");
}

/// <summary>Proposes auth commands (after the disk-space check every write passes).</summary>
public sealed class AuthWrites(IProposer proposer, DiskSpaceGuard diskSpace)
{
    /// <summary>Proposes <paramref name="command"/> and waits until it is applied here.</summary>
    public Task<ProposalResult> ProposeAsync(KvCommand command, CancellationToken token)
    {
        diskSpace.ThrowIfLow();
        return proposer.ProposeAsync(command, mayForward: true, token);
    }
}
