// Who the caller is, for handlers that shape what they do by it rather than refuse it (issue
// 26): idempotency records are kept per user.
// Invariant: with auth off there is no caller, so no name.
namespace KvDb.Node.Auth;

/// <summary>The authenticated caller, without refusing anything.</summary>
public static class CallerAccess
{
    /// <summary>The authenticated user's name; null with auth off.</summary>
    public static string? NameOf(HttpContext context) => context.Features.Get<AuthenticatedCaller>()?.User.Name;
}
