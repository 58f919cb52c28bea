// Enforces each endpoint's access rule (AccessRules) once auth is enabled; with auth off it
// lets everything through at the cost of one volatile read.
// Invariants:
//  - Runs after routing and the port policy, before any endpoint: a request that fails here
//    has touched no state.
//  - An endpoint without a rule is root-only (fail closed).
//  - 401 carries WWW-Authenticate; 403 says which rule was not met; both are problem details,
//    with the code members of the endpoint's API when it declares them (ProblemCodes).
using KvDb.Core.Auth;
using KvDb.Node.Hosting;
using KvDb.Node.HttpKit;
using KvDb.Node.Observability;
using Microsoft.Extensions.Options;

namespace KvDb.Node.Auth;

/// <summary>The user a request was authenticated as, with the auth state it was checked against.</summary>
/// <param name="User">The user.</param>
/// <param name="State">The auth state used, for per-key checks.</param>
public sealed record AuthenticatedCaller(AuthUser User, AuthState State);

/// <summary>The middleware that enforces access rules.</summary>
public static class AuthGate
{
    /// <summary>Adds the gate; call after UseRouting and the port policy.</summary>
    public static IApplicationBuilder UseAuthGate(this IApplicationBuilder app)
    {
        var openProbes = app.ApplicationServices.GetRequiredService<IOptions<AuthOptions>>().Value.OpenProbes;
        var cache = app.ApplicationServices.GetRequiredService<AuthCache>();
        var authenticator = app.ApplicationServices.GetRequiredService<Authenticator>();
        return app.Use((context, next) =>
        {
            if (context.GetEndpoint() is not { } endpoint)
                return next(context);

            var rule = endpoint.Metadata.GetMetadata<AccessRuleMetadata>()?.Rule ?? AccessRule.Root;
            if (rule is AccessRule.Open or AccessRule.Peer || (rule is AccessRule.Probe && openProbes))
                return next(context);

            if (cache.Current is not { } state)
                return Deny(context, StatusCodes.Status503ServiceUnavailable, "Starting", "This member is still starting; retry shortly.");
            if (!state.Settings.Enabled)
                return next(context);

            var authentication = authenticator.Authenticate(context, state);
            if (authentication.User is not { } user)
            {
                if (authentication.Status == StatusCodes.Status401Unauthorized)
                    context.Response.Headers.WWWAuthenticate = "Basic realm=\"kvdb\", Bearer realm=\"kvdb\"";
                return Deny(context, authentication.Status, authentication.Status == StatusCodes.Status401Unauthorized ? "Unauthorized" : "Too many requests", authentication.Failure!);
            }

            if (rule is AccessRule.Root && !AuthState.IsRoot(user))
                return Deny(context, StatusCodes.Status403Forbidden, "Forbidden", $"{context.Request.Method} {context.Request.Path} needs the root role; user '{user.Name}' does not have it.");

            context.Features.Set(new AuthenticatedCaller(user, state));
            return next(context);
        });
    }

    private static Task Deny(HttpContext context, int status, string title, string detail)
    {
        if (status == StatusCodes.Status503ServiceUnavailable)
            context.Response.Headers.RetryAfter = "1";
        else
            AuthInstruments.RecordAuthRefusal(status);
        return Problems.Refusal(context, status, title, detail).ExecuteAsync(context);
    }
}

/// <summary>Per-key permission checks for handlers of <see cref="AccessRule.Keys"/> endpoints.</summary>
public static class KeyAccess
{
    /// <summary>403 problem details when the caller may not <paramref name="access"/> <paramref name="key"/>; null when it may (or auth is off).</summary>
    public static IResult? Denied(HttpContext context, Access access, byte[] key)
        => context.Features.Get<AuthenticatedCaller>() is not { } caller || caller.State.Allows(caller.User, access, key, null, singleKey: true)
            ? null
            : Forbidden(caller, access, $"key '{Shorten(key)}'");

    /// <summary>
    /// 403 when the caller may not read every key of [<paramref name="start"/>, <paramref name="end"/>)
    /// (<paramref name="end"/> null: to the last key). A range is all or nothing: answering only the
    /// readable part would look like a complete answer, so the caller must ask for a prefix it may read.
    /// </summary>
    public static IResult? DeniedRange(HttpContext context, byte[] start, byte[]? end)
        => context.Features.Get<AuthenticatedCaller>() is not { } caller || caller.State.Allows(caller.User, Access.Read, start, end, singleKey: false)
            ? null
            : Forbidden(caller, Access.Read, "every key of the requested range (ask for a prefix your roles grant)");

    /// <summary>403 when the caller may read no key at all of [<paramref name="start"/>, <paramref name="end"/>) (a listing that shows only what the caller may read).</summary>
    public static IResult? DeniedAllOfRange(HttpContext context, byte[] start, byte[]? end)
        => context.Features.Get<AuthenticatedCaller>() is not { } caller || caller.State.AllowsAny(caller.User, Access.Read, start, end)
            ? null
            : Forbidden(caller, Access.Read, "any key of the requested range");

    /// <summary>403 when the caller may not write every key of [<paramref name="start"/>, <paramref name="end"/>) (a delete of a range).</summary>
    public static IResult? DeniedRangeWrite(HttpContext context, byte[] start, byte[]? end)
        => context.Features.Get<AuthenticatedCaller>() is not { } caller || caller.State.Allows(caller.User, Access.Write, start, end, singleKey: false)
            ? null
            : Forbidden(caller, Access.Write, "every key of the range it deletes (delete a prefix your roles grant)");

    private static IResult Forbidden(AuthenticatedCaller caller, Access access, string what)
    {
        AuthInstruments.RecordAuthRefusal(StatusCodes.Status403Forbidden);
        return Problems.Of(StatusCodes.Status403Forbidden, "Forbidden",
            $"User '{caller.User.Name}' may not {(access == Access.Read ? "read" : "write")} {what}: no role of theirs grants it.");
    }

    private static string Shorten(byte[] key) => ValueResults.Shorten(System.Text.Encoding.UTF8.GetString(key));
}
